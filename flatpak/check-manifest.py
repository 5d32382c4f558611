#!/usr/bin/env python3
# Checks the Flatpak manifest, which cannot be built without the GNOME
# runtime: it parses, names what meson installs, asks for no more than the
# sandbox holes the app needs, and builds only pinned or local sources.
# Usage: check-manifest.py MANIFEST APP_ID COMMAND
import json
import sys

ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
}


def check_source(module_name, source, errors):
    kind = source.get('type')
    if kind == 'dir':
        return
    if kind == 'git':
        if not source.get('commit'):
            errors.append(f'{module_name}: git source without a commit')
        return
    if kind in ('archive', 'file'):
        if not source.get('sha256'):
            errors.append(f'{module_name}: {kind} source without a sha256')
        return
    errors.append(f'{module_name}: source of type {kind!r} is neither a dir nor pinned')


def main():
    path, app_id, command = sys.argv[1:4]
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f)

    errors = []
    if manifest.get('id', manifest.get('app-id')) != app_id:
        errors.append(f'app id is {manifest.get("id")!r}, meson installs {app_id!r}')
    if manifest.get('command') != command:
        errors.append(f'command is {manifest.get("command")!r}, meson installs {command!r}')
    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        errors.append('runtime and sdk must be org.gnome.Platform and org.gnome.Sdk')
    if not str(manifest.get('runtime-version', '')).isdigit():
        errors.append('runtime-version must be a stable GNOME release')

    for arg in manifest.get('finish-args', []):
        if arg in ALLOWED_FINISH_ARGS:
            continue
        errors.append(f'finish-arg {arg!r} is wider than the app needs')

    for required in ('/include', '/lib/pkgconfig', '*.a'):
        if required not in manifest.get('cleanup', []):
            errors.append(f'cleanup does not remove {required}')

    modules = manifest.get('modules', [])
    if not modules:
        errors.append('no modules')
    for module in modules:
        if isinstance(module, str):
            errors.append(f'module file {module!r} is not checked')
            continue
        for source in module.get('sources', []):
            check_source(module.get('name', '?'), source, errors)

    app_module = modules[-1] if modules and isinstance(modules[-1], dict) else {}
    if app_module.get('buildsystem') != 'meson' or not app_module.get('builddir'):
        errors.append('the app module must be built with meson in a separate builddir')
    if {'type': 'dir', 'path': '..'} not in app_module.get('sources', []):
        errors.append('the app module must build the checkout it sits in')

    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
