# Loaded into every test interpreter (Node and Chromium): runs test code and
# reports the value or the exception as JSON, so both harnesses speak alike.
import json as _json
import traceback as _tb

from pyodide.code import eval_code_async as _eval_code_async


async def _harness_run(code, ns):
    try:
        value = await _eval_code_async(code, ns)
        return _json.dumps({"ok": True, "value": value}, default=repr)
    except BaseException as exc:  # report everything, the test decides
        return _json.dumps(
            {
                "ok": False,
                "type": type(exc).__name__,
                "qualname": type(exc).__module__ + "." + type(exc).__qualname__,
                "message": str(exc),
                "traceback": "".join(_tb.format_exception(exc)),
            }
        )
