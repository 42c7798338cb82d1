// How the extension starts the language server: the bundled one (dist/server.mjs, run by the
// editor's own Node, nothing to install), or the `mmc` named by the `mmc.path` setting.
// Kept free of the `vscode` module so that it can be tested outside the editor.

/** TransportKind.stdio of vscode-languageclient (a const enum value there). */
export const STDIO = 0;

export type ServerLaunch =
  | { readonly module: string; readonly transport: typeof STDIO; readonly args: readonly string[] }
  | {
      readonly command: string;
      readonly transport: typeof STDIO;
      readonly args: readonly string[];
      readonly options: { readonly shell: boolean };
    };

/**
 * `mmcPath` is the `mmc.path` setting: empty for the bundled server, otherwise an executable
 * (`mmc`, or a path such as `./node_modules/.bin/mmc`) that is run as `mmc lsp --stdio`.
 */
export function serverLaunch(
  mmcPath: string | undefined,
  bundledServer: string,
  platform: string,
): ServerLaunch {
  const path = (mmcPath ?? "").trim();
  if (path === "") return { module: bundledServer, transport: STDIO, args: [] };
  // npm's shims on Windows are `.cmd` files, which only a shell can run.
  return {
    command: path,
    transport: STDIO,
    args: ["lsp"],
    options: { shell: platform === "win32" && /\.(cmd|bat)$/i.test(path) },
  };
}
