#!/usr/bin/env python3
# The manifest build-aux/check-flatpak builds is the shipped one: the derived
# manifest may differ only in the runtime, the SDK, and modules the Debian
# runtime provides (with the finish-args that point into them). Checked on the
# shipped manifest, and on it without those modules, as it may come to be.
# Usage: test-debian-manifest.py DERIVE_PROGRAM MANIFEST
import json
import os
import subprocess
import sys
import tempfile

CHANGED_KEYS = {'runtime', 'runtime-version', 'sdk'}
PROVIDED_MODULES = {'webp-pixbuf-loader'}
PROVIDED_ENV = {'GDK_PIXBUF_MODULE_FILE'}


def derive(program, manifest, scratch):
    path = os.path.join(scratch, 'in.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(manifest, f)
    out = subprocess.run([sys.executable, program, path], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def name_of(module):
    return module.get('name') if isinstance(module, dict) else module


def compare(shipped, derived):
    errors = []
    for key in sorted(set(shipped) | set(derived)):
        if key in CHANGED_KEYS:
            if derived.get(key) == shipped.get(key):
                errors.append(f'{key} is still {shipped.get(key)!r}')
        elif key == 'modules':
            kept = [m for m in shipped.get(key, []) if name_of(m) not in PROVIDED_MODULES]
            if derived.get(key) != kept:
                errors.append('modules differ in more than the ones the Debian runtime provides')
            if not kept or name_of(derived[key][-1]) != name_of(shipped[key][-1]):
                errors.append('the app module is not built')
        elif key == 'finish-args':
            dropped = [a for a in shipped.get(key, []) if a not in derived.get(key, [])]
            if [a for a in shipped.get(key, []) if a not in dropped] != derived.get(key):
                errors.append('finish-args were added or reordered')
            removed_modules = any(name_of(m) in PROVIDED_MODULES for m in shipped.get('modules', []))
            for arg in dropped:
                name = arg[len('--env='):].split('=', 1)[0] if arg.startswith('--env=') else None
                if name not in PROVIDED_ENV or not removed_modules:
                    errors.append(f'finish-arg {arg!r} was dropped')
        elif shipped.get(key) != derived.get(key):
            errors.append(f'{key} differs')
    return errors


def main():
    program, manifest_path = sys.argv[1:3]
    with open(manifest_path, encoding='utf-8') as f:
        shipped = json.load(f)

    without_provided = dict(shipped)
    without_provided['modules'] = [m for m in shipped['modules'] if name_of(m) not in PROVIDED_MODULES]
    without_provided['finish-args'] = [a for a in shipped.get('finish-args', [])
                                       if not a.startswith('--env=GDK_PIXBUF_MODULE_FILE=')]

    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        for label, manifest in (('shipped', shipped), ('without provided modules', without_provided)):
            derived = derive(program, manifest, scratch)
            errors = compare(manifest, derived)
            if any(name_of(m) in PROVIDED_MODULES for m in derived.get('modules', [])):
                errors.append('a module the Debian runtime provides is still built')
            for error in errors:
                print(f'{label}: {error}')
            failed = failed or bool(errors)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
