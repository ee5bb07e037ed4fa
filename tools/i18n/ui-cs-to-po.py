#!/usr/bin/env python3
"""Move the words of Site/Ui*.cs dictionaries into the gettext translation files.

Usage (from the repository root):

    python3 tools/i18n/ui-cs-to-po.py src/Whistle/Site/Ui.SomeArea.cs [more Ui.*.cs files ...]
    python3 tools/i18n/ui-cs-to-po.py --check          # only re-write the PO files in canonical order
    python3 tools/i18n/ui-cs-to-po.py --prefix template. src/Whistle/Alerts/Templates.cs   # keys get a prefix

Each input file holds one or more fields shaped like

    private static readonly Dictionary<string, Dictionary<string, string>> SomeAreaTexts = new()
    {
        ["en"] = new() { ["key"] = "text", ["other.key"] = "text", ... },
        ["es"] = new() { ... },
        ...
    };

The script merges every entry into src/Whistle/Resources/i18n/<lang>.po (msgctxt = key, msgid = the English,
msgstr = the translation; the English file's msgstr is the msgid) and whistle.pot (the template), sorted by key
so diffs stay readable. A translation that comes from a C# file is marked "fuzzy" (machine-assisted, needs a
native speaker's review) unless the PO file already held the same text reviewed. Then it deletes the field from
the C# file (the whole file when nothing else is left in it) and removes the field's name from the `Sources`
array in Site/Ui.cs. Re-runnable: running it twice changes nothing the second time.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PO_DIR = os.path.join(ROOT, "src", "Whistle", "Resources", "i18n")
UI_CS = os.path.join(ROOT, "src", "Whistle", "Site", "Ui.cs")
LANGS = ["en", "es", "so", "hmn"]
LANG_NAMES = {"en": "English", "es": "Spanish", "so": "Somali", "hmn": "Hmong"}

FIELD = re.compile(
    r"(?P<indent>[ \t]*)(?:///[^\n]*\n[ \t]*)*(?:(?:private|public|internal)\s+)?static\s+readonly\s+"
    r"Dictionary<string,\s*Dictionary<string,\s*string>>\s+(?P<name>\w+)\s*=\s*new\s*(?:Dictionary<string,\s*Dictionary<string,\s*string>>)?\(\)\s*\{", re.S)
LANG_BLOCK = re.compile(r'\["(?P<lang>[a-z]{2,3})"\]\s*=\s*new\s*(?:Dictionary<string,\s*string>)?\(\)\s*\{')
ENTRY = re.compile(r'\["(?P<key>[^"\\]+)"\]\s*=\s*"(?P<text>(?:[^"\\]|\\.)*)"\s*,?')


def matching_brace(text, open_at):
    """Index of the brace closing the one at open_at (strings and comments skipped)."""
    depth, i, n = 0, open_at, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.index("\n", i)
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces")


def cs_unescape(s):
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "0": "\0"}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            if e in simple:
                out.append(simple[e]); i += 2; continue
            if e == "u":
                out.append(chr(int(s[i + 2:i + 6], 16))); i += 6; continue
        out.append(c); i += 1
    return "".join(out)


def parse_cs(path):
    """[(field name, start, end, {lang: {key: text}})] for each dictionary field in a C# file."""
    text = open(path, encoding="utf-8").read()
    fields = []
    for m in FIELD.finditer(text):
        open_at = m.end() - 1
        close_at = matching_brace(text, open_at)
        body = text[open_at + 1:close_at]
        words = {}
        for lm in LANG_BLOCK.finditer(body):
            b_open = lm.end() - 1
            b_close = matching_brace(body, b_open)
            block = re.sub(r"^\s*//[^\n]*$", "", body[b_open + 1:b_close], flags=re.M)
            entries = words.setdefault(lm.group("lang"), {})
            for em in ENTRY.finditer(block):
                entries[em.group("key")] = cs_unescape(em.group("text"))
        end = close_at + 1
        semi = re.compile(r"\s*;[ \t]*\n?").match(text, end)
        end = semi.end() if semi else end
        # take the comment lines right above the field with it
        start = m.start()
        while True:
            prev = text.rfind("\n", 0, max(start - 1, 0))
            line = text[prev + 1:start]
            if start > 0 and line.strip().startswith("//"):
                start = prev + 1
            else:
                break
        fields.append((m.group("name"), start, end, words))
    return text, fields


def po_escape(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def po_unescape(s):
    return cs_unescape(s)


def read_po(path):
    """{key: (msgid, msgstr, fuzzy)} from one PO file (only the shape this script writes, plus plain PO)."""
    entries = {}
    if not os.path.exists(path):
        return entries
    cur, field, fuzzy = {}, None, False

    def flush():
        nonlocal cur, fuzzy
        if "msgid" in cur and cur.get("msgid"):
            key = cur.get("msgctxt", cur["msgid"])
            entries[key] = (cur["msgid"], cur.get("msgstr", ""), fuzzy)
        cur, fuzzy = {}, False

    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line:
            flush(); field = None; continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'(msgctxt|msgid|msgstr)\s+"(.*)"$', line)
        if m:
            if m.group(1) in cur and m.group(1) != "msgstr":
                flush()
            field = m.group(1)
            cur[field] = po_unescape(m.group(2))
        elif line.startswith('"') and field:
            cur[field] += po_unescape(line[1:-1])
    flush()
    return entries


def write_po(path, lang, entries, template=False):
    header = [
        "# Whistle's words. English (en.po) is the source; es, so and hmn were machine-assisted: entries marked",
        "# fuzzy need a native speaker's review (Whistle shows them meanwhile). See docs/translating.md.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: Whistle\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
    ]
    if not template:
        header.append(f'"Language: {lang}\\n"')
        header.append(f'"X-Language-Name: {LANG_NAMES.get(lang, lang)}\\n"')
        header.append('"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' if lang != "hmn"
                      else '"Plural-Forms: nplurals=1; plural=0;\\n"')
    out = ["\n".join(header)]
    for key in sorted(entries):
        msgid, msgstr, fuzzy = entries[key]
        lines = []
        if fuzzy and msgstr and not template:
            lines.append("#, fuzzy")
        lines.append(f'msgctxt "{po_escape(key)}"')
        lines.append(f'msgid "{po_escape(msgid)}"')
        lines.append(f'msgstr "{"" if template else po_escape(msgstr)}"')
        out.append("\n".join(lines))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(out) + "\n")


def main(args):
    check_only = args == ["--check"]
    prefix = ""
    if len(args) >= 2 and args[0] == "--prefix":
        prefix, args = args[1], args[2:]
    files = [] if check_only else args
    if not check_only and not files:
        print(__doc__)
        return 2
    os.makedirs(PO_DIR, exist_ok=True)
    po = {lang: read_po(os.path.join(PO_DIR, f"{lang}.po")) for lang in LANGS}
    removed_fields = []
    for path in files:
        text, fields = parse_cs(path)
        if not fields:
            print(f"{path}: no word dictionaries found", file=sys.stderr)
            continue
        for name, _, _, words in fields:
            words = {lang: {prefix + k: v for k, v in entries.items()} for lang, entries in words.items()}
            english = words.get("en", {})
            for key, en_text in english.items():
                po["en"][key] = (en_text, en_text, False)
                for lang in LANGS[1:]:
                    had = po[lang].get(key)
                    given = words.get(lang, {}).get(key)
                    if given:
                        reviewed = had is not None and had[1] == given and not had[2] and had[0] == en_text
                        po[lang][key] = (en_text, given, not reviewed)
                    elif had is not None and had[1]:
                        # the English changed or stayed: keep the old translation, flagged if the source moved
                        po[lang][key] = (en_text, had[1], had[2] or had[0] != en_text)
                    else:
                        po[lang][key] = (en_text, "", False)
            for lang, entries in words.items():
                if lang not in LANGS:
                    print(f"{path}: language {lang} is not one of {LANGS}; add it to the script", file=sys.stderr)
                for key in entries:
                    if key not in english:
                        print(f"{path}: {lang} has '{key}' that English lacks (skipped)", file=sys.stderr)
            removed_fields.append(name)
        # delete the fields, then the file if nothing else is left in it
        for name, start, end, _ in sorted(fields, key=lambda f: -f[1]):
            text = text[:start] + text[end:]
        rest = re.sub(r"//[^\n]*|namespace[^;{]*;|using[^;]*;|public\s+static\s+partial\s+class\s+Ui|[{}\s]", "", text)
        if rest:
            open(path, "w", encoding="utf-8", newline="\n").write(re.sub(r"\n{3,}", "\n\n", text))
            print(f"{path}: words moved, the rest of the file kept")
        else:
            os.remove(path)
            print(f"{path}: words moved, file deleted")
    # every language has every English key (untranslated = empty msgstr, the reader sees English)
    for lang in LANGS[1:]:
        for key, (msgid, _, _) in po["en"].items():
            had = po[lang].get(key)
            if had is None:
                po[lang][key] = (msgid, "", False)
            elif had[0] != msgid:
                po[lang][key] = (msgid, had[1], True if had[1] else False)
        for key in [k for k in po[lang] if k not in po["en"]]:
            del po[lang][key]
    for lang in LANGS:
        write_po(os.path.join(PO_DIR, f"{lang}.po"), lang, po[lang])
    write_po(os.path.join(PO_DIR, "whistle.pot"), "", po["en"], template=True)
    if removed_fields and os.path.exists(UI_CS):
        ui = open(UI_CS, encoding="utf-8").read()
        m = re.search(r"(Sources\s*=>\s*\[)([^\]]*)(\])", ui)
        if m:
            names = [n.strip() for n in m.group(2).split(",") if n.strip() and n.strip() not in removed_fields]
            ui = ui[:m.start()] + m.group(1) + ", ".join(names) + m.group(3) + ui[m.end():]
            open(UI_CS, "w", encoding="utf-8", newline="\n").write(ui)
    counts = {lang: sum(1 for v in po[lang].values() if v[1]) for lang in LANGS}
    print(f"{len(po['en'])} keys; translated: " + ", ".join(f"{l} {counts[l]}" for l in LANGS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
