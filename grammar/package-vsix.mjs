#!/usr/bin/env node
// Packs grammar/ into a VS Code extension (.vsix) offline: a .vsix is a zip holding
// extension.vsixmanifest, [Content_Types].xml and the extension's files under extension/. It
// first bundles the client and the language server (build-extension.mjs) and packs the server
// with the standard library and the error pages it reads, so the extension needs no install step.
// Usage: node grammar/package-vsix.mjs [--out FILE]   (default: mmc-<version>.vsix in the repo root)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, join, normalize, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildExtension } from "./build-extension.mjs";
import { writeZip } from "./zip-writer.mjs";

const GRAMMAR_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(GRAMMAR_DIR, "..");
const README = join(REPO_ROOT, "docs", "vscode.md");
const LICENSE = join(REPO_ROOT, "LICENSE");

const CONTENT_TYPES = {
  ".cjs": "application/javascript",
  ".mjs": "application/javascript",
  ".mm": "text/plain",
  ".json": "application/json",
  ".md": "text/markdown",
  ".png": "image/png",
  ".txt": "text/plain",
  ".vsixmanifest": "text/xml",
};

function fail(message) {
  console.error(`package-vsix: ${message}`);
  process.exit(1);
}

function xml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function parseArgs(argv) {
  const args = { out: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1]) args.out = argv[++i];
    else fail(`unknown argument \`${argv[i]}\` (usage: package-vsix.mjs [--out FILE])`);
  }
  return args;
}

/** The files the manifest points at, checked to exist and (for JSON) to parse. */
function contributedFiles(manifest) {
  const { languages = [], grammars = [], snippets = [] } = manifest.contributes ?? {};
  const paths = [
    ...languages.map((l) => l.configuration).filter(Boolean),
    ...grammars.map((g) => g.path),
    ...snippets.map((s) => s.path),
  ];
  return [...new Set(paths.map((p) => normalize(p)))].map((path) => {
    const file = join(GRAMMAR_DIR, path);
    if (relative(GRAMMAR_DIR, file).startsWith("..")) fail(`\`${path}\` is outside grammar/`);
    if (!existsSync(file)) fail(`package.json names \`${path}\`, which does not exist`);
    const data = readFileSync(file);
    try {
      JSON.parse(data.toString("utf8"));
    } catch (error) {
      fail(`\`${path}\` is not valid JSON: ${error.message}`);
    }
    return { name: `extension/${path.replace(/\\/g, "/")}`, data };
  });
}

/** The bundled client and server (dist/), checked to be there after the build. */
function bundledFiles(manifest) {
  const main = normalize(manifest.main ?? "");
  if (!manifest.main) fail("package.json needs `main` (the bundled client)");
  return [main, normalize("dist/server.mjs")].map((path) => {
    const file = join(GRAMMAR_DIR, path);
    if (!existsSync(file)) fail(`\`${path}\` was not built`);
    return { name: `extension/${path.replace(/\\/g, "/")}`, data: readFileSync(file) };
  });
}

/** What the server reads at run time, at the same paths as in the mmc package: stdlib/, docs/errors/. */
function serverDataFiles() {
  const files = [];
  for (const [folder, ext] of [
    ["stdlib", ".mm"],
    [join("docs", "errors"), ".md"],
  ]) {
    for (const name of readdirSync(join(REPO_ROOT, folder)).sort()) {
      if (!name.endsWith(ext)) continue;
      files.push({
        name: `extension/${folder.replace(/\\/g, "/")}/${name}`,
        data: readFileSync(join(REPO_ROOT, folder, name)),
      });
    }
  }
  return files;
}

/** The README (docs/vscode.md) plus the local images it shows, at the same relative paths. */
function readmeFiles() {
  if (!existsSync(README)) return [];
  const text = readFileSync(README, "utf8");
  const files = [{ name: "extension/README.md", data: Buffer.from(text, "utf8") }];
  for (const [, target] of text.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue;
    const file = join(dirname(README), target);
    if (existsSync(file))
      files.push({
        name: `extension/${normalize(target).replace(/\\/g, "/")}`,
        data: readFileSync(file),
      });
  }
  return files;
}

function vsixManifest(manifest, hasLicense) {
  const tags = [
    ...(manifest.keywords ?? []),
    ...(manifest.contributes?.languages ?? []).map((l) => l.id),
  ];
  const license = hasLicense ? "\n    <License>extension/LICENSE.txt</License>" : "";
  const licenseAsset = hasLicense
    ? '\n    <Asset Type="Microsoft.VisualStudio.Services.Content.License" Path="extension/LICENSE.txt" Addressable="true" />'
    : "";
  return `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xml(manifest.name)}" Version="${xml(manifest.version)}" Publisher="${xml(manifest.publisher)}" />
    <DisplayName>${xml(manifest.displayName ?? manifest.name)}</DisplayName>
    <Description xml:space="preserve">${xml(manifest.description ?? "")}</Description>
    <Tags>${xml([...new Set(tags)].join(","))}</Tags>
    <Categories>${xml((manifest.categories ?? []).join(","))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xml(manifest.engines.vscode)}" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace" />
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value="" />
      <Property Id="Microsoft.VisualStudio.Services.GitHubFlavoredMarkdown" Value="true" />
    </Properties>${license}
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />${licenseAsset}
  </Assets>
</PackageManifest>
`;
}

function contentTypes(names) {
  const extensions = [...new Set(names.map((n) => extname(n).toLowerCase()))].sort();
  const defaults = extensions.map((ext) => {
    const type = CONTENT_TYPES[ext] ?? "application/octet-stream";
    return `  <Default Extension="${xml(ext)}" ContentType="${type}" />`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
${defaults.join("\n")}
</Types>
`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await buildExtension();
  const manifestBytes = readFileSync(join(GRAMMAR_DIR, "package.json"));
  const manifest = JSON.parse(manifestBytes.toString("utf8"));
  for (const field of ["name", "publisher", "version"]) {
    if (typeof manifest[field] !== "string" || !manifest[field])
      fail(`package.json needs \`${field}\``);
  }
  if (!manifest.engines?.vscode) fail("package.json needs `engines.vscode`");

  const hasLicense = existsSync(LICENSE);
  const files = [
    { name: "extension/package.json", data: manifestBytes },
    ...contributedFiles(manifest),
    ...bundledFiles(manifest),
    ...serverDataFiles(),
    ...readmeFiles(),
    ...(hasLicense ? [{ name: "extension/LICENSE.txt", data: readFileSync(LICENSE) }] : []),
  ];
  if (!files.some((f) => f.name === "extension/README.md")) {
    files.push({
      name: "extension/README.md",
      data: Buffer.from(`# ${manifest.displayName ?? manifest.name}\n`),
    });
  }
  files.sort((a, b) => a.name.localeCompare(b.name));
  const manifestXml = { name: "extension.vsixmanifest", data: vsixManifest(manifest, hasLicense) };
  const names = [manifestXml.name, ...files.map((f) => f.name)];
  const entries = [
    { name: "[Content_Types].xml", data: contentTypes(names) },
    manifestXml,
    ...files,
  ];

  const out = resolve(args.out ?? join(REPO_ROOT, `${manifest.name}-${manifest.version}.vsix`));
  mkdirSync(dirname(out), { recursive: true });
  const zip = writeZip(entries);
  writeFileSync(out, zip);
  console.log(
    `wrote ${relative(process.cwd(), out) || out} (${entries.length} files, ${(zip.length / 1024).toFixed(1)} KiB)`,
  );
}

await main();
