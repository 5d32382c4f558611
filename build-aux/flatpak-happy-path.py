#!/usr/bin/env python3
# The happy path in the sandboxed app, driven as a person would: through
# gtk4-broadwayd's page in headless Chromium, whose keyboard reaches the app
# like any other. Used by build-aux/check-flatpak.
#
#   flatpak-happy-path.py picture PATH
#       writes a 800x400 PNG: left half red, right half blue.
#   flatpak-happy-path.py drive BROADWAY_URL SCREENSHOT
#       with AVATAR_BASE_URL, AVATAR_APP_ID and AVATAR_TOKEN in the
#       environment (the account the app is signed in to): waits for the
#       picture in the window, makes the crop smaller and moves it onto the
#       red half with the keyboard, uploads with Ctrl+Return, waits for the
#       service's avatar to change, checks that it is the red crop, and saves
#       a screenshot of the window showing it.
#
# Chromium speaks the DevTools protocol over a pipe (fds 3 and 4), so no port
# is opened. Waits are on conditions (what the page shows, what the service
# answers), each with a deadline.
import base64
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

RED = (255, 0, 0)
BLUE = (0, 0, 255)
DEADLINE_S = int(os.environ.get('AVATAR_DEADLINE_S', '120'))


def write_png(path, width, height, pixel):
    rows = b''.join(b'\0' + b''.join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(rows)))
        f.write(chunk(b'IEND', b''))


def read_png(data):
    """Pixels of an 8-bit, non-interlaced RGB or RGBA PNG, as Chromium writes."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and color in (2, 6) and interlace == 0
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xff
            elif kind == 2:
                line[i] = (line[i] + b) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def near(pixel, colour):
    return all(abs(p - c) < 40 for p, c in zip(pixel, colour))


class Browser:
    def __init__(self, user_data_dir):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        # Two fds above 4 first, so dup2 cannot clobber one with the other.
        to_browser_r, from_browser_w = fcntl_dup(to_browser_r), fcntl_dup(from_browser_w)
        self.process = subprocess.Popen(
            ['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
             '--no-first-run', '--disable-background-networking', '--disable-component-update',
             '--disable-sync', '--remote-debugging-pipe', f'--user-data-dir={user_data_dir}',
             '--window-size=1024,768', 'about:blank'],
            # Popen closes fds it was not told to keep after preexec_fn runs;
            # os.pipe() fds are not inherited anyway, so keep what dup2 made.
            preexec_fn=fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b''
        self.next_id = 0
        self.session = None

    def call(self, method, session=True, **params):
        self.next_id += 1
        message = {'id': self.next_id, 'method': method, 'params': params}
        if session and self.session:
            message['sessionId'] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b'\0')
        while True:
            while b'\0' not in self.buffer:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError('Chromium closed the DevTools pipe')
                self.buffer += chunk
            text, self.buffer = self.buffer.split(b'\0', 1)
            reply = json.loads(text)
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError(f'{method}: {reply["error"]}')
                return reply['result']

    def open(self, url):
        target = self.call('Target.createTarget', url=url)['targetId']
        self.session = self.call('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        self.call('Page.enable')

    def screenshot(self, scale=1.0):
        params = {'format': 'png'}
        if scale != 1.0:
            params['clip'] = {'x': 0, 'y': 0, 'width': 1024, 'height': 768, 'scale': scale}
        return base64.b64decode(self.call('Page.captureScreenshot', **params)['data'])

    def key(self, key, code, key_code, text=None, modifiers=0):
        down = {'type': 'keyDown' if text else 'rawKeyDown', 'key': key, 'code': code,
                'windowsVirtualKeyCode': key_code, 'modifiers': modifiers}
        if text:
            down['text'] = text
        self.call('Input.dispatchKeyEvent', **down)
        self.call('Input.dispatchKeyEvent', type='keyUp', key=key, code=code,
                  windowsVirtualKeyCode=key_code, modifiers=modifiers)

    def close(self):
        try:
            self.call('Browser.close', session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def fcntl_dup(fd):
    import fcntl
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


def colour_counts(browser):
    _, _, pixels = read_png(browser.screenshot(scale=0.25))
    return (sum(1 for p in pixels if near(p, RED)), sum(1 for p in pixels if near(p, BLUE)))


def wait_for(what, condition):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f'timed out waiting for {what}')


def api(path):
    request = urllib.request.Request(os.environ['AVATAR_BASE_URL'] + path, headers={
        'x-app-id': os.environ['AVATAR_APP_ID'],
        'Authorization': 'Bearer ' + os.environ['AVATAR_TOKEN'],
    })
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def pixel_at(path, x, y):
    out = subprocess.run(['vips', 'getpoint', path, str(x), str(y)],
                         check=True, capture_output=True, text=True).stdout.split()
    return tuple(round(float(v)) for v in out[:3])


def size_of(path):
    def field(name):
        return int(subprocess.run(['vipsheader', '-f', name, path], check=True,
                                  capture_output=True, text=True).stdout)
    return field('width'), field('height')


def drive(url, screenshot_path):
    before = api('/users/me').get('avatarUrl')
    with tempfile.TemporaryDirectory() as scratch:
        browser = Browser(os.path.join(scratch, 'chromium'))
        try:
            browser.open(url)

            # The crop page shows the whole picture: both halves.
            wait_for('the picture in the window',
                     lambda: all(n > 200 for n in colour_counts(browser)))
            print('The picture is shown', file=sys.stderr)

            # A smaller crop, moved to the left edge: only red is left in it.
            for _ in range(3):
                browser.key('-', 'Minus', 189, text='-')
            for _ in range(10):
                browser.key('ArrowLeft', 'ArrowLeft', 37, modifiers=8)  # Shift: big steps

            # Ctrl+Return uploads once the picture is prepared; until then the
            # action is off and the key does nothing, so press it until the
            # service shows a new avatar.
            deadline = time.monotonic() + DEADLINE_S
            after = before
            while after == before:
                if time.monotonic() > deadline:
                    raise RuntimeError('the avatar did not change on the service')
                browser.key('Enter', 'Enter', 13, modifiers=2)  # Ctrl
                for _ in range(25):
                    after = api('/users/me').get('avatarUrl')
                    if after != before:
                        break
                    time.sleep(0.2)
            print('The service has a new avatar', file=sys.stderr)

            avatar = os.path.join(scratch, 'avatar.webp')
            urllib.request.urlretrieve(after, avatar)
            width, height = size_of(avatar)
            if width != height or width >= 400:
                raise RuntimeError(f'the avatar is {width}x{height}, not the smaller square crop')
            points = [(x * (width - 1) // 4, y * (height - 1) // 4) for x in range(5) for y in range(5)]
            wrong = [(x, y, pixel_at(avatar, x, y)) for x, y in points
                     if not near(pixel_at(avatar, x, y), RED)]
            if wrong:
                raise RuntimeError(f'the avatar is not the red crop: {wrong[:3]}')
            print(f'The avatar is the {width}x{height} red crop', file=sys.stderr)

            # The window shows the result: the red avatar, the blue half gone.
            wait_for('the uploaded avatar in the window',
                     lambda: (lambda red, blue: red > 50 and blue == 0)(*colour_counts(browser)))
        except RuntimeError:
            # What the window showed when it went wrong is the first clue.
            with open(screenshot_path, 'wb') as f:
                f.write(browser.screenshot())
            raise
        else:
            with open(screenshot_path, 'wb') as f:
                f.write(browser.screenshot())
        finally:
            browser.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'picture':
        write_png(sys.argv[2], 800, 400, lambda x, y: RED if x < 400 else BLUE)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == 'drive':
        try:
            drive(sys.argv[2], sys.argv[3])
        except RuntimeError as e:
            print(f'flatpak-happy-path: {e}', file=sys.stderr)
            return 1
        return 0
    print('Usage: flatpak-happy-path.py picture PATH | drive BROADWAY_URL SCREENSHOT', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
