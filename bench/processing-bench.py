#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The devserver's processing of a 24-megapixel photo against vips making
the same variants: original.webp at full size and the centre-square 44, 48
and 60 pixel WebP sizes, both at quality 85. Runs alternate between the two
(at least 5 each); the table gives medians of wall time and peak RSS.

Usage: processing-bench.py HELPER VIPS
Writes server-processing.md and server-processing.json into $AVATAR_BENCH_OUT
(default: the current directory, the build directory under meson)."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = (44, 48, 60)
WIDTH, HEIGHT = 6000, 4000


def run_measured(commands):
    """Runs the commands one after the other; returns the wall time in
    seconds and the largest peak RSS of them in MiB."""
    wall = 0.0
    peak_kib = 0
    for argv in commands:
        start = time.monotonic()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall += time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            sys.exit(f'{argv[0]} failed: {process.stderr.read().decode(errors="replace")}')
        peak_kib = max(peak_kib, usage.ru_maxrss)
    return wall, peak_kib / 1024


def main():
    helper, vips = (os.path.abspath(arg) for arg in sys.argv[1:3])
    runs = max(5, int(os.environ.get('AVATAR_BENCH_RUNS', '5')))
    out_dir = os.environ.get('AVATAR_BENCH_OUT') or os.getcwd()
    os.makedirs(out_dir, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix='avatar-bench-') as scratch:
        photo = os.path.join(scratch, 'photo.jpg')
        subprocess.run([helper, 'photo', str(WIDTH), str(HEIGHT), '1', photo], check=True)

        def ours(out):
            return [[helper, 'process', photo, 'image/jpeg', out]]

        def theirs(out):
            commands = [[vips, 'copy', photo, os.path.join(out, 'original.webp') + '[Q=85,strip]']]
            for size in SIZES:
                commands.append([vips, 'thumbnail', photo, os.path.join(out, f'{size}.webp') + '[Q=85,strip]',
                                 str(size), '--crop', 'centre'])
            return commands

        contenders = {'avatar-devserver': ours, 'vips': theirs}
        results = {name: {'wall_s': [], 'peak_rss_mib': [], 'original_bytes': 0} for name in contenders}

        for run in range(runs):
            order = list(contenders) if run % 2 == 0 else list(reversed(contenders))
            for name in order:
                out = os.path.join(scratch, f'{name}-{run}')
                os.mkdir(out)
                wall, rss = run_measured(contenders[name](out))
                for variant in ['original.webp'] + [f'{size}.webp' for size in SIZES]:
                    if not os.path.getsize(os.path.join(out, variant)):
                        sys.exit(f'{name} wrote no {variant}')
                results[name]['wall_s'].append(round(wall, 3))
                results[name]['peak_rss_mib'].append(round(rss, 1))
                results[name]['original_bytes'] = os.path.getsize(os.path.join(out, 'original.webp'))
                print(f'run {run + 1}/{runs} {name}: {wall:.2f} s, {rss:.0f} MiB', flush=True)

        photo_bytes = os.path.getsize(photo)

    for result in results.values():
        result['median_wall_s'] = round(statistics.median(result['wall_s']), 3)
        result['median_peak_rss_mib'] = round(statistics.median(result['peak_rss_mib']), 1)

    ours_s = results['avatar-devserver']['median_wall_s']
    vips_s = results['vips']['median_wall_s']
    summary = {
        'photo': {'width': WIDTH, 'height': HEIGHT, 'bytes': photo_bytes},
        'runs': runs,
        'contenders': results,
        'wall_ratio_devserver_to_vips': round(ours_s / vips_s, 3),
    }

    lines = [
        f'### Processing a {WIDTH}×{HEIGHT} JPEG ({photo_bytes / 1e6:.1f} MB): original.webp and the 44/48/60 squares',
        '',
        f'Medians of {runs} alternating runs; peak RSS is the largest process of a run.',
        '',
        '| | wall time | peak RSS | original.webp |',
        '|---|---:|---:|---:|',
    ]
    for name, result in results.items():
        lines.append(f'| {name} | {result["median_wall_s"]:.2f} s | {result["median_peak_rss_mib"]:.0f} MiB '
                     f'| {result["original_bytes"] / 1e6:.2f} MB |')
    lines += ['', f'avatar-devserver takes {ours_s / vips_s:.2f}× the time of vips.', '']

    with open(os.path.join(out_dir, 'server-processing.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    with open(os.path.join(out_dir, 'server-processing.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
