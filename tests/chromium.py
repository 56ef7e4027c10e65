"""Headless Chromium for page tests: the DOM as text, and screenshots."""
import html
import re
import shutil
import subprocess


def chromium(url, out_dir, *args):
    """Run headless Chromium on ``url``; its stdout (``--dump-dom``)."""
    profile = out_dir / 'chromium-profile'
    cmd = [shutil.which('chromium'), '--headless', '--no-sandbox',
           '--disable-gpu', '--disable-dev-shm-usage',
           f'--user-data-dir={profile}', '--window-size=1400,2000',
           '--virtual-time-budget=20000', *args, url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def dom_text(dom):
    """The visible text of a dumped DOM, whitespace collapsed."""
    dom = re.sub(r'<(style|script)[^>]*>.*?</\1>', ' ', dom, flags=re.S)
    return html.unescape(re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', dom)))
