// The VS Code extension's client: starts the mmc language server for `.mm` files and restarts it
// when `mmc.path` changes. `mmc.trace.server` is read by vscode-languageclient itself (the
// client's id is `mmc`). Bundled by grammar/build-extension.mjs into dist/extension.cjs.
import * as vscode from "vscode";
import { LanguageClient, type ServerOptions } from "vscode-languageclient/node";
import { serverLaunch } from "./server-options.js";

let client: LanguageClient | undefined;

function start(context: vscode.ExtensionContext): Promise<void> {
  const launch = serverLaunch(
    vscode.workspace.getConfiguration("mmc").get<string>("path"),
    context.asAbsolutePath("dist/server.mjs"),
    process.platform,
  );
  const server: ServerOptions =
    "module" in launch
      ? { module: launch.module, transport: launch.transport, args: [...launch.args] }
      : {
          command: launch.command,
          transport: launch.transport,
          args: [...launch.args],
          options: { ...launch.options },
        };
  client = new LanguageClient("mmc", "mmc language server", server, {
    documentSelector: [{ scheme: "file", language: "mm" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mm") },
  });
  return client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("mmc.path")) return;
      await client?.stop();
      await start(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
