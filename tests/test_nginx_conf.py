"""The scaled-out stack's nginx configuration: nginx accepts it, and the sticky rules are the documented ones."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.nginx_conf import TEMP_KINDS, Fronts, nginx_conf

FRONTS = Fronts(rasa_port=5005, rasa=[6001, 6002], actions_port=5055, actions=[6011, 6012],
                inbox_port=8080, inbox=[6021, 6022])


def locations(conf: str) -> dict:
    """Each server's port -> its locations' paths -> their bodies."""
    found: dict = {}
    for port, body in re.findall(r"listen 127\.0\.0\.1:(\d+);(.*?)\n    }", conf, re.S):
        found[int(port)] = dict(re.findall(r"location (\S+) \{(.*?)\}", body, re.S))
    return found


@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx: make nginx")
def test_nginx_accepts_the_generated_configuration(tmp_path: Path) -> None:
    for kind in TEMP_KINDS:
        (tmp_path / "temp" / kind).mkdir(parents=True)
    (tmp_path / "nginx.conf").write_text(nginx_conf(FRONTS, tmp_path), encoding="utf-8")

    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)

    assert checked.returncode == 0, checked.stderr


def test_only_the_web_chats_socket_is_sticky_and_both_sockets_get_the_upgrade_headers(tmp_path: Path) -> None:
    conf = nginx_conf(FRONTS, tmp_path)
    served = locations(conf)

    assert "hash $remote_addr consistent" in conf.split("upstream rasa_chat")[1].split("}")[0]
    for name in ("rasa", "actions", "inbox"):
        assert "least_conn" in conf.split(f"upstream {name} ")[1].split("}")[0]
    assert "proxy_pass http://rasa_chat;" in served[5005]["/socket.io/"]
    assert "proxy_pass http://rasa;" in served[5005]["/"]
    for socket in (served[5005]["/socket.io/"], served[8080]["/ws"]):
        assert "proxy_set_header Upgrade $http_upgrade;" in socket and "Connection $connection_upgrade" in socket
    every = [body for paths in served.values() for body in paths.values()]
    assert len(every) == 5 and all("proxy_set_header Host $http_host;" in body for body in every)
