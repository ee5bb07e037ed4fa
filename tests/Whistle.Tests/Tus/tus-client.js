// Drives Whistle's tus server with tus-js-client itself, as the /evidence page does (issue 15).
// Usage: node tus-client.js <mode> <endpoint> <file> <submissionId> <secret> <fileId> <sha256>
//   mode "whole":  one upload in 1 MB chunks, start to end.
//   mode "resume": the upload is aborted after ~2 MB (the phone lost signal); a second Upload, finding the first
//                  through its URL storage (findPreviousUploads + resumeFromPreviousUpload), goes on from the
//                  server's offset. Prints one JSON line: { url, firstOffsetAfterResume, patches }.
"use strict";
const fs = require("fs");
const tus = require("tus-js-client");

const [mode, endpoint, path, submission, secret, fileId, sha256] = process.argv.slice(2);
const data = fs.readFileSync(path);

// In-memory URL storage with the interface tus-js-client expects (the page uses the browser's localStorage).
const stored = [];
const urlStorage = {
  findAllUploads: async () => stored.slice(),
  findUploadsByFingerprint: async (fp) => stored.filter((u) => u.fp === fp).map((u) => u.upload),
  removeUpload: async (key) => { const i = stored.findIndex((u) => u.key === key); if (i >= 0) stored.splice(i, 1); },
  addUpload: async (fp, upload) => { const key = "tus::" + fp + "::" + stored.length; stored.push({ fp, key, upload: { ...upload, urlStorageKey: key } }); return key; },
};

const offsets = [];
function options(extra) {
  return Object.assign({
    endpoint,
    chunkSize: 1024 * 1024,
    retryDelays: [0, 200, 500],
    metadata: { submission, secret, file: fileId, filename: "clip.mp4", filetype: "video/mp4", sha256 },
    urlStorage,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    fingerprint: async () => "whistle-test-" + fileId,
    onBeforeRequest: (req) => { if (req.getMethod() === "PATCH") offsets.push(Number(req.getHeader("Upload-Offset"))); },
  }, extra);
}

function run(upload) {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = () => resolve();
    upload.options.onError = (e) => reject(e);
    upload.start();
  });
}

async function main() {
  if (mode === "whole") {
    const upload = new tus.Upload(data, options({}));
    await run(upload);
    console.log(JSON.stringify({ url: upload.url, patches: offsets.length, offsets }));
    return;
  }
  // First attempt: cut off after about 2 MB.
  await new Promise((resolve, reject) => {
    const first = new tus.Upload(data, options({
      onProgress: (sent) => { if (sent >= 2 * 1024 * 1024 && !first._cut) { first._cut = true; first.abort(false).then(resolve, reject); } },
      onSuccess: () => reject(new Error("the first attempt was meant to be cut off")),
      onError: reject,
    }));
    first.start();
  });
  const before = offsets.length;
  const second = new tus.Upload(data, options({}));
  const previous = await second.findPreviousUploads();
  if (previous.length !== 1) throw new Error("expected one previous upload in the URL storage, found " + previous.length);
  second.resumeFromPreviousUpload(previous[0]);
  await run(second);
  console.log(JSON.stringify({ url: second.url, firstOffsetAfterResume: offsets[before], patches: offsets.length, offsets, left: stored.length }));
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
