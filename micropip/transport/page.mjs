// A big PEP 691 project page thinned in JavaScript before Python reads it.
//
// pydantic-core's page is 6.9 MB of JSON naming 15 057 files, 15 000 of them wheels for
// Linux, macOS and Windows. Python's json.loads and one look at each entry took ~90 ms in
// Pyodide; JSON.parse takes ~13 ms. This drops the entries Python would set aside unread
// anyway, by the rule of micropip.resolution.selection.left_unread (other platforms' wheels
// and, when no sdist is built, sdists; keep the two in step: tests/test_page_thinning_pyodide.py
// compares them), and hands back the rest.

const PYODIDE_PREFIXES = ["emscripten", "pyodide", "pyemscripten"];

/** Python's truth value of a JSON value (the "yanked" flag: any string means yanked). */
function yanked(value) {
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/** A wheel whose name alone shows only platforms other than ``ours`` (a Set). */
function foreignWheel(filename, ours, verdicts) {
  if (!filename.endsWith(".whl") || filename.endsWith("-any.whl")) return false;
  const last = filename.lastIndexOf("-");
  const part = filename.slice(last + 1, -4);
  let verdict = verdicts.get(part);
  if (verdict === undefined) {
    verdict = !part
      .toLowerCase()
      .split(".")
      .some((p) => ours.has(p) || p === "any" || PYODIDE_PREFIXES.some((prefix) => p.startsWith(prefix)));
    verdicts.set(part, verdict);
  }
  if (!verdict) return false;
  let dashes = 1; // the name must have 4 or 5 dashes, as Python checks before anything else
  for (let i = filename.indexOf("-"); i !== -1 && i < last; i = filename.indexOf("-", i + 1)) dashes++;
  if (dashes !== 4 && dashes !== 5) return false;
  if (filename.includes("\n")) return false;
  if (typeof filename.isWellFormed === "function" && !filename.isWellFormed()) return false; // Python reads it
  return true;
}

/** An sdist's name (selection.is_sdist), one Python reads as this does. */
function sdistName(filename) {
  const lower = filename.toLowerCase();
  if (!(lower.endsWith(".tar.gz") || lower.endsWith(".zip"))) return false;
  if (filename.includes("\n")) return false;
  if (typeof filename.isWellFormed === "function" && !filename.isWellFormed()) return false;
  return true;
}

/**
 * The page (UTF-8 JSON bytes) without the wheels for other platforms (and, with `sdists`,
 * without the sdists), as JSON text, and the names of the files dropped, one per line, each
 * after "1" (yanked) or "0". undefined when the bytes are not a PEP 691 page this can read
 * the same way Python would: Python reads those.
 */
export function thinProjectPage(bytes, ours, sdists = false) {
  let data;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data) || !Array.isArray(data.files) || "info" in data) {
    return undefined;
  }
  const platforms = new Set(ours);
  const verdicts = new Map();
  const kept = [];
  const setAside = [];
  for (const entry of data.files) {
    const filename = entry !== null && typeof entry === "object" ? entry.filename : undefined;
    if (typeof filename === "string" && (foreignWheel(filename, platforms, verdicts) || (sdists && sdistName(filename)))) {
      setAside.push((yanked(entry.yanked) ? "1" : "0") + filename);
    } else {
      kept.push(entry);
    }
  }
  if (!setAside.length) return undefined; // nothing to gain: Python reads the bytes it has
  data.files = kept;
  return [JSON.stringify(data), setAside.join("\n")];
}
