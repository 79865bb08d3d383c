"""The inbox page's script is native ES modules, loaded by the browser as they are (no build step).

A browser refuses a module served as anything but JavaScript, and one import that names a missing
file or a name its module does not export stops the whole page. These tests follow the page's
imports over HTTP, as a browser does, so a broken import fails here without a browser.
"""

from __future__ import annotations

import mimetypes
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.inbox import Inbox, running_inbox

MODULES_DIR = Path(__file__).resolve().parents[1] / "handoff" / "static" / "inbox"
JAVASCRIPT = ("text/javascript", "application/javascript")
MODULE_SCRIPT = re.compile(r"<script\b[^>]*\btype=[\"']module[\"'][^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
ANY_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
#: ``import {a, b} from "./x.js"``, ``import "./x.js"``, ``export {a} from "./x.js"`` (the names, the specifier).
STATIC_IMPORT = re.compile(r"^\s*(?:import|export)\s+(?:(?:\{([^}]*)\}|\*\s+as\s+\w+|\w+)\s+from\s+)?[\"']([^\"']+)[\"']",
                           re.MULTILINE)
EXPORTED = re.compile(r"^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)", re.MULTILINE)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inbox]:
    with running_inbox(tmp_path_factory.mktemp("modules")) as inbox:
        yield inbox


def inbox_page(inbox: Inbox) -> requests.Response:
    person = inbox.sign_in("maria")
    return requests.get(f"{inbox.url}/", cookies={"inbox_session": person.cookie}, timeout=10)


def imports(source: str) -> List[Tuple[List[str], str]]:
    """Each static import of a module: the names it takes (none for a bare ``import "x"``) and from where."""
    return [([name.split(" as ")[0].strip() for name in (names or "").split(",") if name.strip()], specifier)
            for names, specifier in STATIC_IMPORT.findall(source)]


def module_graph(page: requests.Response) -> Dict[str, requests.Response]:
    """Every module the page loads, by URL, fetched as the browser fetches them: its module scripts, then their imports."""
    pending = [urljoin(page.url, src) for src in MODULE_SCRIPT.findall(page.text)]
    fetched: Dict[str, requests.Response] = {}
    while pending:
        url = pending.pop()
        if url in fetched:
            continue
        fetched[url] = answer = requests.get(url, timeout=10)
        assert answer.status_code == 200, f"{url} is not served ({answer.status_code})"
        for _, specifier in imports(answer.text):
            assert specifier.startswith(("./", "../", "/")), \
                f"{url} imports {specifier!r}: a browser resolves only relative or absolute paths without an import map"
            pending.append(urljoin(url, specifier))
    return fetched


def test_the_inbox_page_runs_one_module_and_no_classic_script(inbox: Inbox) -> None:
    page = inbox_page(inbox).text

    assert MODULE_SCRIPT.findall(page) == ["/static/inbox/app.js"]
    assert ANY_SCRIPT_SRC.findall(page) == ["/static/inbox/app.js"]


def test_every_module_the_inbox_page_loads_is_served_as_javascript(inbox: Inbox) -> None:
    graph = module_graph(inbox_page(inbox))

    types = {urlsplit(url).path: answer.headers["Content-Type"].split(";")[0] for url, answer in graph.items()}
    assert {path: kind for path, kind in types.items() if kind not in JAVASCRIPT} == {}
    assert all(answer.headers["X-Content-Type-Options"] == "nosniff" for answer in graph.values())


def test_every_module_in_the_inbox_folder_is_loaded_by_the_page(inbox: Inbox) -> None:
    loaded = {urlsplit(url).path for url in module_graph(inbox_page(inbox))}

    assert loaded == {f"/static/inbox/{path.name}" for path in MODULES_DIR.glob("*.js")}


def test_every_name_a_module_imports_is_exported_by_the_module_it_names(inbox: Inbox) -> None:
    graph = module_graph(inbox_page(inbox))
    exported = {url: set(EXPORTED.findall(answer.text)) for url, answer in graph.items()}

    missing: Set[str] = {f"{urlsplit(url).path} imports {name} from {specifier}"
                         for url, answer in graph.items() for names, specifier in imports(answer.text)
                         for name in names if name not in exported[urljoin(url, specifier)]}
    assert missing == set()


def test_the_import_reader_sees_every_form_of_static_import() -> None:
    source = ('import { h, icon } from "./dom.js";\nimport {\n  api,\n  ApiError as Failure,\n} from \'./api.js\';\n'
              'import "./side_effect.js";\nexport { state } from "./store.js";\nconst x = "import { no } from \'./no.js\'";\n')

    assert imports(source) == [(["h", "icon"], "./dom.js"), (["api", "ApiError"], "./api.js"),
                               ([], "./side_effect.js"), (["state"], "./store.js")]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to parse the modules")
@pytest.mark.parametrize("module", sorted(MODULES_DIR.glob("*.js")), ids=lambda path: path.name)
def test_each_module_parses_as_an_es_module(module: Path) -> None:
    checked = subprocess.run(["node", "--input-type=module", "--check"], input=module.read_text(encoding="utf-8"),
                             capture_output=True, text=True, timeout=60, check=False)

    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def mime_table_saying_js_is_plain_text() -> Iterator[None]:
    """This machine's MIME table as some others have it (the Windows registry can say text/plain for .js)."""
    original = mimetypes.guess_type("app.js")[0] or "text/javascript"
    mimetypes.add_type("text/plain", ".js")
    try:
        yield
    finally:
        mimetypes.add_type(original, ".js")


def test_modules_are_served_as_javascript_even_where_the_machines_mime_table_says_plain_text(
    tmp_path: Path, mime_table_saying_js_is_plain_text: None
) -> None:
    assert mimetypes.guess_type("app.js")[0] == "text/plain"
    with running_inbox(tmp_path) as inbox:
        answer = requests.get(f"{inbox.url}/static/inbox/app.js", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "text/javascript"
