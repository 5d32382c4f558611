#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preparing a 24-megapixel JPEG: `avatar-upload --check --crop` against
`vips crop` saved as JPEG (libvips' jpegsave), run alternately; wall time
and peak RSS of each process.

Usage: prepare-bench.py AVATAR_UPLOAD VIPS BENCH_PHOTO
Writes prepare.md and prepare.json into $AVATAR_BENCH_OUT; $AVATAR_BENCH_RUNS
runs per contender (5 by default)."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

WIDTH, HEIGHT = 6000, 4000
CROP = (1000, 0, 4000)
DECODED_BYTES = WIDTH * HEIGHT * 3


def measure(argv):
    """Wall ms and peak RSS bytes of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors='replace')
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f'{argv[0]} exited {process.returncode}: {error.strip()}')
    return wall, usage.ru_maxrss * 1024


def main():
    cli, vips, photo_tool = sys.argv[1:4]
    out_dir = os.environ.get('AVATAR_BENCH_OUT', os.getcwd())
    runs = int(os.environ.get('AVATAR_BENCH_RUNS', '5'))
    os.makedirs(out_dir, exist_ok=True)
    x, y, size = CROP
    samples = {'avatar-upload': [], 'vips': []}

    with tempfile.TemporaryDirectory() as scratch:
        photo = os.path.join(scratch, 'photo-24mp.jpg')
        subprocess.run([photo_tool, str(WIDTH), str(HEIGHT), '3', photo], check=True)
        commands = {
            'avatar-upload': [cli, '--check', '--crop', f'{x},{y},{size}', photo],
            'vips': [vips, 'crop', photo, os.path.join(scratch, 'out.jpg[Q=90]'),
                     str(x), str(y), str(size), str(size)],
        }
        for run in range(runs):
            order = list(commands) if run % 2 == 0 else list(reversed(commands))
            for name in order:
                wall, rss = measure(commands[name])
                samples[name].append({'wallMs': wall, 'peakRssBytes': rss})

    med = {name: {'wallMs': statistics.median(s['wallMs'] for s in runs_),
                  'peakRssBytes': statistics.median(s['peakRssBytes'] for s in runs_)}
           for name, runs_ in samples.items()}
    time_ratio = med['avatar-upload']['wallMs'] / med['vips']['wallMs']
    rss_ratio = med['avatar-upload']['peakRssBytes'] / DECODED_BYTES
    result = {
        'photo': f'{WIDTH}×{HEIGHT} JPEG', 'crop': list(CROP), 'runs': runs,
        'decodedBytes': DECODED_BYTES, 'samples': samples, 'median': med,
        'timeOverVips': time_ratio, 'peakRssOverDecoded': rss_ratio,
        'goals': {'timeAtMost1xVips': time_ratio <= 1.0, 'peakRssAtMost1_2xDecoded': rss_ratio <= 1.2},
    }

    def mib(n):
        return f'{n / 1048576:.0f} MiB'

    def met(ok):
        return 'met' if ok else '**missed**'

    table = '\n'.join([
        f'### Prepare: a {WIDTH}×{HEIGHT} JPEG cropped to {size}×{size} (median of {runs} runs)',
        '',
        '| contender | wall time | peak RSS |',
        '|---|---|---|',
        f'| `avatar-upload --check --crop {x},{y},{size}` | {med["avatar-upload"]["wallMs"]:.0f} ms '
        f'| {mib(med["avatar-upload"]["peakRssBytes"])} |',
        f'| `vips crop` + jpegsave | {med["vips"]["wallMs"]:.0f} ms | {mib(med["vips"]["peakRssBytes"])} |',
        '',
        f'avatar-upload ÷ vips time: {time_ratio:.2f}× (goal ≤ 1.0×: {met(time_ratio <= 1.0)}); '
        f'avatar-upload peak RSS ÷ decoded image ({mib(DECODED_BYTES)}): {rss_ratio:.2f}× '
        f'(goal ≤ 1.2×: {met(rss_ratio <= 1.2)}).',
        '',
    ])
    with open(os.path.join(out_dir, 'prepare.md'), 'w', encoding='utf-8') as f:
        f.write(table)
    with open(os.path.join(out_dir, 'prepare.json'), 'w', encoding='utf-8') as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    print(table)


if __name__ == '__main__':
    main()
