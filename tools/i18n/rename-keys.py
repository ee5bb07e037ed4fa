#!/usr/bin/env python3
"""Rename or drop keys in every translation file, keeping translations and review flags.

    python3 tools/i18n/rename-keys.py OLD=NEW [OLD.prefix.*=NEW.prefix.*] [-DROPPED_KEY or -prefix.*] ...

A trailing ".*" renames (or drops) every key under a prefix. The code that uses the keys is not touched: grep it.
"""
import importlib.util
import os
import sys

here = os.path.dirname(__file__)
spec = importlib.util.spec_from_file_location("conv", os.path.join(here, "ui-cs-to-po.py"))
conv = importlib.util.module_from_spec(spec); spec.loader.exec_module(conv)


def apply(key, rules):
    for old, new in rules:
        if old.endswith(".*") and key.startswith(old[:-1]):
            return None if new is None else new[:-1] + key[len(old) - 1:]
        if key == old:
            return new
    return key


def main(args):
    rules = []
    for a in args:
        if a.startswith("-"):
            rules.append((a[1:], None))
        else:
            old, new = a.split("=", 1)
            rules.append((old, new))
    for lang in conv.LANGS:
        path = os.path.join(conv.PO_DIR, f"{lang}.po")
        entries = conv.read_po(path)
        out = {}
        for key, value in entries.items():
            new = apply(key, rules)
            if new is not None:
                out[new] = value
        conv.write_po(path, lang, out)
    conv.write_po(os.path.join(conv.PO_DIR, "whistle.pot"), "", conv.read_po(os.path.join(conv.PO_DIR, "en.po")), template=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
