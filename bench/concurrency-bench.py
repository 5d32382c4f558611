#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""20 users upload a 4000×3000 photo at the same time with avatar-upload and
its default options (its processing timeout included) to one devserver with
its default workers. Reports how many ended with their avatar, the p50 and
p95 of the wall time of an avatar-upload run, and the server's peak RSS.

Usage: concurrency-bench.py AVATAR_UPLOAD AVATAR_DEVSERVER HELPER
Writes server-concurrency.md and server-concurrency.json into
$AVATAR_BENCH_OUT (default: the current directory)."""

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

USERS = 20
WIDTH, HEIGHT = 4000, 3000


def percentile(values, p):
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def peak_rss_mib(pid):
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return 0.0


def login(base_url, app_id, username):
    request = urllib.request.Request(f'{base_url}/auth/dev-login',
                                     data=json.dumps({'username': username}).encode(),
                                     headers={'x-app-id': app_id, 'Content-Type': 'application/json'},
                                     method='POST')
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)['accessToken']


def main():
    cli, devserver, helper = (os.path.abspath(arg) for arg in sys.argv[1:4])
    out_dir = os.environ.get('AVATAR_BENCH_OUT') or os.getcwd()
    os.makedirs(out_dir, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix='avatar-bench-') as scratch:
        photos = []
        for i in range(USERS):
            path = os.path.join(scratch, f'photo{i:02}.jpg')
            subprocess.run([helper, 'photo', str(WIDTH), str(HEIGHT), str(100 + i), path], check=True)
            photos.append(path)

        log = open(os.path.join(scratch, 'server.log'), 'wb')
        server = subprocess.Popen([devserver, '--port', '0', '--data-dir', os.path.join(scratch, 'data')],
                                  stdout=subprocess.PIPE, stderr=log)
        try:
            ready = json.loads(server.stdout.readline())
            tokens = [login(ready['baseUrl'], ready['appId'], f'bench_user_{i:02}') for i in range(USERS)]

            durations = [None] * USERS
            outcomes = [None] * USERS

            def upload(i):
                env = dict(os.environ, AVATAR_SERVER=ready['baseUrl'], AVATAR_APP_ID=ready['appId'],
                           AVATAR_TOKEN=tokens[i])
                env.pop('AVATAR_REFRESH_TOKEN', None)
                start = time.monotonic()
                run = subprocess.run([cli, photos[i]], env=env, capture_output=True, text=True)
                durations[i] = time.monotonic() - start
                outcomes[i] = run

            threads = [threading.Thread(target=upload, args=(i,)) for i in range(USERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            server_rss = peak_rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
            log.close()

    succeeded = [i for i in range(USERS) if outcomes[i].returncode == 0]
    processing = [json.loads(outcomes[i].stdout)['timings']['processingMs'] / 1000 for i in succeeded]
    for i in range(USERS):
        if outcomes[i].returncode != 0:
            print(f'user {i}: exit {outcomes[i].returncode}: {outcomes[i].stderr.strip()}', flush=True)

    summary = {
        'users': USERS,
        'photo': {'width': WIDTH, 'height': HEIGHT},
        'succeeded': len(succeeded),
        'wall_s': [round(d, 2) for d in durations],
        'p50_s': round(percentile(durations, 50), 2),
        'p95_s': round(percentile(durations, 95), 2),
        'max_s': round(max(durations), 2),
        'processing_wait_p50_s': round(percentile(processing, 50), 2) if processing else None,
        'processing_wait_p95_s': round(percentile(processing, 95), 2) if processing else None,
        'server_peak_rss_mib': round(server_rss, 1),
        'workers': os.cpu_count(),
    }

    lines = [
        f'### {USERS} avatar-upload runs at once, {WIDTH}×{HEIGHT} photos, default timeout',
        '',
        f'One devserver with its default workers ({os.cpu_count()} on this machine).',
        '',
        '| succeeded | p50 | p95 | slowest | processing wait p50 / p95 | server peak RSS |',
        '|---:|---:|---:|---:|---:|---:|',
        f'| {len(succeeded)}/{USERS} | {summary["p50_s"]:.1f} s | {summary["p95_s"]:.1f} s '
        f'| {summary["max_s"]:.1f} s '
        f'| {summary["processing_wait_p50_s"] or 0:.1f} s / {summary["processing_wait_p95_s"] or 0:.1f} s '
        f'| {server_rss:.0f} MiB |',
        '',
    ]
    with open(os.path.join(out_dir, 'server-concurrency.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    with open(os.path.join(out_dir, 'server-concurrency.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, indent=2)
    print('\n'.join(lines))
    if len(succeeded) != USERS:
        sys.exit(1)


if __name__ == '__main__':
    main()
