#!/usr/bin/env python3
# Writes gdk-pixbuf's loaders.cache without its WebP loader, for a test of
# the app on a system that has none.
# Usage: drop-webp-loader.py LOADERS_CACHE OUTPUT
import sys

with open(sys.argv[1], encoding='utf-8') as f:
    blocks = f.read().split('\n\n')
with open(sys.argv[2], 'w', encoding='utf-8') as f:
    f.write('\n\n'.join(block for block in blocks if 'pixbufloader-webp' not in block))
