// A dispatcher's console during the intake bench: logs in (bootstrap admin), connects to the live queue
// (SignalR /hubs/sightings) and counts the pushes it receives until SIGTERM, then prints the count.
// The admin's role needs a second factor: the first console sets up an authenticator (TOTP) and keeps its key in
// <key-file>; later consoles log in with a code from it.
// node console.mjs <base-url> <email> <password> <signalr-module-dir> <key-file>
import { createRequire } from "node:module";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const [base, email, password, modules, keyFile] = process.argv.slice(2);
const require = createRequire(modules + "/");
const signalR = require("@microsoft/signalr");

function totp(base32, step = Math.floor(Date.now() / 30000)) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of base32.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String(((h.readUInt32BE(o) & 0x7fffffff) % 1000000)).padStart(6, "0");
}
const post = (path, body, token) => fetch(base + path, {
  method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
  body: JSON.stringify(body),
});

let accessToken;
if (!existsSync(keyFile)) {
  const login = await post("/api/v1/auth/login", { email, password });
  if (!login.ok) { console.error("console: login failed " + login.status); process.exit(1); }
  accessToken = (await login.json()).accessToken;
  const setup = await post("/api/v1/auth/totp/setup", {}, accessToken);
  if (!setup.ok) { console.error("console: totp setup failed " + setup.status); process.exit(1); }
  const { secret, key } = await setup.json();
  const enable = await post("/api/v1/auth/totp/enable", { code: totp(secret ?? key) }, accessToken);
  if (!enable.ok) { console.error("console: totp enable failed " + enable.status + " " + await enable.text()); process.exit(1); }
  writeFileSync(keyFile, secret ?? key, { mode: 0o600 });
} else {
  const secret = readFileSync(keyFile, "utf8");
  for (let attempt = 0; !accessToken && attempt < 3; attempt++) {
    const login = await post("/api/v1/auth/login", { email, password, code: totp(secret) });
    if (login.ok) accessToken = (await login.json()).accessToken;
    else await new Promise(r => setTimeout(r, 30000 - Date.now() % 30000 + 500)); // a code is good once: the next one
  }
  if (!accessToken) { console.error("console: login with a code failed"); process.exit(1); }
}
let sightings = 0, surges = 0;
const connection = new signalR.HubConnectionBuilder()
  .withUrl(base + "/hubs/sightings", { accessTokenFactory: () => accessToken, transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
  .configureLogging(signalR.LogLevel.Error)
  .build();
connection.on("sighting", () => sightings++);
connection.on("surge", () => surges++);
connection.on("escalation", () => {});
connection.on("roster", () => {});
await connection.start();
console.log("CONSOLE connected " + base);
const stop = async () => {
  console.log(`CONSOLE pushes sighting=${sightings} surge=${surges}`);
  await connection.stop().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {}, 1 << 30);
