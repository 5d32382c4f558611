#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time until a new avatar is visible, against avatar-devserver on loopback.

Contenders, run alternately on fresh users:
  avatar-upload  the command-line client, from its start until it has seen
                 the new avatar (its run minus the variants it fetches after)
  documented     the flow docs/api.md describes, done faithfully: POST, PUT,
                 then GET /users/me right away and every 1000 ms, 10 tries
  floor          POST, PUT, then GET /users/me every 10 ms: the earliest a
                 client can see the avatar (delay + POST + PUT + GET)

avatar-upload is given the photo and crops it to its centred square itself
(decode, crop, encode: its own cost); the other two send that square, cut
from the same pixels beforehand, so the service processes the same picture.

Usage: upload-bench.py AVATAR_UPLOAD AVATAR_DEVSERVER BENCH_PHOTO
Writes upload.md and upload.json into $AVATAR_BENCH_OUT; $AVATAR_BENCH_RUNS
runs per contender (5 by default)."""

import datetime
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

DELAYS_MS = (0, 300, 1500)
PHOTOS = (('1200×800', 1200, 800, 2), ('4000×3000', 4000, 3000, 1))
CONTENDERS = ('avatar-upload', 'documented', 'floor')


class Api:
    """One keep-alive connection to the service, as a client would hold."""

    def __init__(self, base_url, app_id, token=None):
        self.base = urllib.parse.urlsplit(base_url)
        self.app_id = app_id
        self.token = token
        self.conn = http.client.HTTPConnection(self.base.hostname, self.base.port)

    def call(self, method, path, body=None, headers=None, api=True):
        all_headers = dict(headers or {})
        if api:
            all_headers['x-app-id'] = self.app_id
            if self.token:
                all_headers['Authorization'] = 'Bearer ' + self.token
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            all_headers['Content-Type'] = 'application/json'
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f'{method} {path}: {response.status} {data[:200]!r}')
        return json.loads(data) if data and api else data

    def close(self):
        self.conn.close()


def start_devserver(devserver, delay_ms, data_dir, log):
    process = subprocess.Popen([devserver, '--port', '0', '--data-dir', data_dir,
                                '--processing-delay-ms', str(delay_ms)],
                               stdout=subprocess.PIPE, stderr=log, text=True)
    return process, json.loads(process.stdout.readline())


PROMOTED = re.compile(r'(\d\d):(\d\d):(\d\d)\.(\d\d\d): Processed (\w+) .*; it is now the avatar')


def promotion_times(log_path):
    """The local time of day at which the devserver's log says each upload
    became the avatar."""
    times = {}
    with open(log_path, encoding='utf-8', errors='replace') as log:
        for line in log:
            match = PROMOTED.search(line)
            if match:
                h, m, sec, ms, key = match.groups()
                times[key] = datetime.time(int(h), int(m), int(sec), int(ms) * 1000)
    return times


def since(time_of_day, seen_at):
    """Seconds from @time_of_day, on the day nearest to it, to @seen_at."""
    seen_day = datetime.datetime.fromtimestamp(seen_at).date()
    candidates = (datetime.datetime.combine(seen_day + datetime.timedelta(days=d), time_of_day).timestamp()
                  for d in (-1, 0, 1))
    return min((seen_at - c for c in candidates), key=abs)


def fresh_user(info, name):
    api = Api(info['baseUrl'], info['appId'])
    answer = api.call('POST', '/auth/dev-login', {'username': name})
    api.close()
    return answer['accessToken']


def put_and_wait(info, token, photo, pause_s, tries):
    """POST, PUT, then GET until the avatar is the new one. Returns the ms
    from the start to the sighting, from the PUT's answer to it, the asset
    key and the wall-clock time of the sighting."""
    start = time.perf_counter()
    api = Api(info['baseUrl'], info['appId'], token)
    ticket = api.call('POST', '/users/me/avatar', {'contentType': 'image/jpeg'})
    upload = urllib.parse.urlsplit(ticket['uploadUrl'])
    api.call('PUT', upload.path + '?' + upload.query, body=photo,
             headers={'Content-Type': 'image/jpeg'}, api=False)
    sent = time.perf_counter()
    try:
        for attempt in range(tries):
            if api.call('GET', '/users/me')['avatarUrl'] == ticket['cdnUrl']:
                seen = time.perf_counter()
                return (seen - start) * 1000, (seen - sent) * 1000, ticket['assetKey'], time.time()
            if attempt + 1 < tries:
                time.sleep(pause_s)
        return None, None, ticket['assetKey'], None
    finally:
        api.close()


def run_avatar_upload(cli, info, token, path):
    env = dict(os.environ, AVATAR_SERVER=info['baseUrl'], AVATAR_APP_ID=info['appId'],
               AVATAR_TOKEN=token)
    env.pop('AVATAR_REFRESH_TOKEN', None)
    start_wall = time.time()
    start = time.perf_counter()
    done = subprocess.run([cli, path], env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise RuntimeError(f'avatar-upload exited {done.returncode}: {done.stderr.strip()}')
    output = json.loads(done.stdout)
    timings = output['timings']
    visible = wall - timings['variantsMs']
    return visible, timings['processingMs'], output['assetKey'], start_wall + visible / 1000


def run_one(contender, tools, info, token, path, photo):
    if contender == 'avatar-upload':
        return run_avatar_upload(tools['cli'], info, token, path)
    if contender == 'documented':
        return put_and_wait(info, token, photo, 1.0, 10)
    return put_and_wait(info, token, photo, 0.010, 6000)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def bench_delay(tools, delay_ms, photos, runs, results, scratch):
    data_dir = tempfile.mkdtemp(dir=scratch)
    log_path = os.path.join(data_dir, 'devserver.log')
    with open(log_path, 'w') as log:
        process, info = start_devserver(tools['devserver'], delay_ms, data_dir, log)
    cases = []
    try:
        for label, path, photo in photos:
            case = {'photo': label, 'delayMs': delay_ms, 'runs': {c: [] for c in CONTENDERS}}
            for run in range(runs):
                # Each run starts with another contender, so none always goes first.
                order = CONTENDERS[run % 3:] + CONTENDERS[:run % 3]
                for contender in order:
                    name = f'b{delay_ms}_{label[:4]}_{run}_{contender[:3]}'.replace('×', 'x')
                    token = fresh_user(info, name)
                    visible, after_put, key, seen = run_one(contender, tools, info, token, path, photo)
                    case['runs'][contender].append({'visibleMs': visible, 'afterPutMs': after_put,
                                                    'assetKey': key, 'seenAt': seen})
            cases.append(case)
    finally:
        process.terminate()
        process.wait()
    promoted = promotion_times(log_path)
    for case in cases:
        for runs_ in case['runs'].values():
            for run in runs_:
                if run['seenAt'] is not None and run['assetKey'] in promoted:
                    run['sincePromotionMs'] = since(promoted[run['assetKey']], run['seenAt']) * 1000
    results.extend(cases)


def summarise(case):
    med = {c: median([r['visibleMs'] for r in case['runs'][c]]) for c in CONTENDERS}
    wait = {c: median([r['afterPutMs'] for r in case['runs'][c]]) for c in CONTENDERS}
    case['medianVisibleMs'] = med
    case['medianAfterPutMs'] = wait
    # A run that never saw the avatar (the documented flow gives up after
    # 10 tries) counts as the longest possible.
    case['missedRuns'] = {c: sum(r['visibleMs'] is None for r in case['runs'][c]) for c in CONTENDERS}
    doc = median([r['visibleMs'] if r['visibleMs'] is not None else float('inf')
                  for r in case['runs']['documented']])
    case['speedupOverDocumented'] = doc / med['avatar-upload']
    case['aboveFloorMs'] = med['avatar-upload'] - med['floor']
    case['medianSincePromotionMs'] = {c: median([r.get('sincePromotionMs') for r in case['runs'][c]])
                                      for c in CONTENDERS}
    case['pollLatencyMs'] = case['medianSincePromotionMs']['avatar-upload']
    case['goals'] = {'aboveFloorAtMost150Ms': case['aboveFloorMs'] <= 150,
                     'seenWithin150MsOfPromotion': case['pollLatencyMs'] is not None and case['pollLatencyMs'] <= 150}
    if case['delayMs'] == 300:
        case['goals']['twiceAsFastAsDocumented'] = case['speedupOverDocumented'] >= 2.0


def fmt(value):
    return '–' if value is None else f'{value:.0f}'


def yes_no(ok):
    return 'met' if ok else '**missed**'


def markdown(results, runs):
    lines = [
        f'### Upload: time until the new avatar is visible (median of {runs} runs, ms)',
        '',
        '| photo | processing delay | avatar-upload | documented flow | floor '
        '| documented ÷ avatar-upload | avatar-upload − floor | poll latency (ms) | goals |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for case in results:
        med = case['medianVisibleMs']
        goals = [f'≤150 ms above floor: {yes_no(case["goals"]["aboveFloorAtMost150Ms"])}',
                 f'seen ≤150 ms after promotion: {yes_no(case["goals"]["seenWithin150MsOfPromotion"])}']
        if 'twiceAsFastAsDocumented' in case['goals']:
            goals.append(f'≥2× documented: {yes_no(case["goals"]["twiceAsFastAsDocumented"])}')
        documented = fmt(med['documented'])
        if case['missedRuns']['documented']:
            documented += f' ({case["missedRuns"]["documented"]} of {runs} never saw it)'
        lines.append(f'| {case["photo"]} JPEG | {case["delayMs"]} ms | {med["avatar-upload"]:.0f} '
                     f'| {documented} | {med["floor"]:.0f} '
                     f'| {case["speedupOverDocumented"]:.2f}× | {case["aboveFloorMs"]:+.0f} '
                     f'| {fmt(case["pollLatencyMs"])} | {"; ".join(goals)} |')
    lines += ['', 'Poll latency: from the moment the devserver logged the promotion to the moment '
              'avatar-upload saw it (median; the floor\'s own is '
              + ', '.join(fmt(c['medianSincePromotionMs']['floor']) for c in results) + ' ms).', '']
    return '\n'.join(lines)


def main():
    tools = {'cli': sys.argv[1], 'devserver': sys.argv[2], 'photo': sys.argv[3]}
    out_dir = os.environ.get('AVATAR_BENCH_OUT', os.getcwd())
    runs = int(os.environ.get('AVATAR_BENCH_RUNS', '5'))
    os.makedirs(out_dir, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        photos = []
        for label, width, height, seed in PHOTOS:
            path = os.path.join(scratch, f'photo-{width}x{height}.jpg')
            square = os.path.join(scratch, f'square-{width}x{height}.jpg')
            subprocess.run([tools['photo'], str(width), str(height), str(seed), path, square], check=True)
            with open(square, 'rb') as f:
                photos.append((label, path, f.read()))
        for delay_ms in DELAYS_MS:
            bench_delay(tools, delay_ms, photos, runs, results, scratch)
    for case in results:
        summarise(case)
    table = markdown(results, runs)
    with open(os.path.join(out_dir, 'upload.md'), 'w', encoding='utf-8') as f:
        f.write(table)
    with open(os.path.join(out_dir, 'upload.json'), 'w', encoding='utf-8') as f:
        json.dump({'runs': runs, 'cases': results}, f, indent=2, ensure_ascii=False)
    print(table)


if __name__ == '__main__':
    main()
