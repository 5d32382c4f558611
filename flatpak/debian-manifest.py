#!/usr/bin/env python3
# Derives, from the shipped Flatpak manifest, the one build-aux/check-flatpak
# builds against a runtime and SDK made from Debian 13: the GNOME runtime
# cannot be fetched here, and neither can the modules' sources from the
# internet. Only the runtime, the SDK, and the modules the Debian runtime
# already provides (with the finish-args that only point into them) change;
# test-debian-manifest.py checks that nothing else does.
# Usage: debian-manifest.py MANIFEST [OUTPUT]
import json
import sys

RUNTIME = 'io.github.avataruploader.Debian.Platform'
SDK = 'io.github.avataruploader.Debian.Sdk'
RUNTIME_VERSION = '13'

# Module name: the finish-arg prefixes that point into what the module installs.
# Debian 13's runtime has the WebP loader (webp-pixbuf-loader) in its own
# gdk-pixbuf loaders.cache, which gdk-pixbuf finds without being told.
PROVIDED = {
    'webp-pixbuf-loader': ('--env=GDK_PIXBUF_MODULE_FILE=',),
}


def derive(manifest):
    derived = dict(manifest)
    derived['runtime'] = RUNTIME
    derived['runtime-version'] = RUNTIME_VERSION
    derived['sdk'] = SDK

    dropped_args = ()
    modules = []
    for module in manifest.get('modules', []):
        name = module.get('name') if isinstance(module, dict) else None
        if name in PROVIDED:
            dropped_args += PROVIDED[name]
        else:
            modules.append(module)
    derived['modules'] = modules

    if 'finish-args' in manifest:
        # str.startswith(()) is False: with nothing dropped, every arg stays.
        derived['finish-args'] = [arg for arg in manifest['finish-args']
                                  if not arg.startswith(dropped_args)]
    return derived


def main():
    if len(sys.argv) not in (2, 3):
        print('Usage: debian-manifest.py MANIFEST [OUTPUT]', file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding='utf-8') as f:
        derived = derive(json.load(f))
    text = json.dumps(derived, indent=4) + '\n'
    if len(sys.argv) == 3:
        with open(sys.argv[2], 'w', encoding='utf-8') as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
