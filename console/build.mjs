// Builds the console into functions/workflows_api/console_assets/ (committed, so a fresh
// clone and a deployment need no Node): index.html (never cached) and assets/ named by
// content hash (cached for a year). esbuild is deterministic: the same sources and
// lockfile give the same bytes (tests/unit checks the committed files against a rebuild).
//
//   npm ci && npm run build            # into the committed directory
//   node build.mjs --outdir /tmp/x     # elsewhere (the reproducibility check)
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf("--outdir");
const outdir = resolve(flag > 0 ? process.argv[flag + 1] : join(here, "../functions/workflows_api/console_assets"));
const assets = join(outdir, "assets");
const PUBLIC_PATH = "/console/assets/";

rmSync(outdir, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 12);

// MapLibre's worker, as published: loaded by the map chunk from the same origin.
const worker = readFileSync(join(here, "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs"));
const workerName = `maplibre-gl-worker-${hash(worker)}.js`;
writeFileSync(join(assets, workerName), worker);

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { main: "src/main.ts", map: "src/map.ts", style: "src/style.css" },
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  outdir: assets,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  define: { __MAPLIBRE_WORKER__: JSON.stringify(`./${workerName}`) },
  legalComments: "linked",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const fileOf = (entryPoint, extension) =>
  basename(outputs.find(([file, o]) => o.entryPoint === entryPoint && file.endsWith(extension))[0]);
const mainJs = fileOf("src/main.ts", ".js");
const styleCss = fileOf("src/style.css", ".css");

// No inline script or style: the CSP forbids both.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Workflows API console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PUBLIC_PATH}${styleCss}">
<script type="module" src="${PUBLIC_PATH}${mainJs}"></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(join(outdir, "index.html"), html);

// What the first load costs (gzip), besides the map chunk and its worker.
const report = [];
for (const [file, output] of outputs) {
  const bytes = readFileSync(join(here, file));
  report.push([relative(outdir, join(here, file)), output.bytes, gzipSync(bytes, { level: 9 }).length]);
}
report.push([`assets/${workerName}`, worker.length, gzipSync(worker, { level: 9 }).length]);
for (const [file, size, gz] of report.sort()) {
  console.log(`${file.padEnd(48)} ${String(size).padStart(9)} B  ${String(gz).padStart(8)} B gzip`);
}
