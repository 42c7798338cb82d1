// WebDataset caption shards: consecutive tar entries sharing a key (the name up to the first dot
// of the file name) form a sample; the image is .jpg/.jpeg/.png/.webp, the caption .txt or .json.
import { createReadStream } from "node:fs";
import type { RawRecord, ReadContext } from "./document.js";
import { fileExists, loadImageBytes, reportOnce } from "./document.js";
import { readTar, TarFormatError, type TarEntry } from "./tar-reader.js";

const IMAGE_EXTS = new Set(["jpg", "jpeg", "png", "webp"]);

interface Group {
  key: string;
  entries: TarEntry[];
}

export async function* readWebDataset(
  ctx: ReadContext,
  files: string[],
): AsyncGenerator<RawRecord> {
  for (const file of files) {
    if (!(await fileExists(ctx, file))) continue;
    let group: Group | null = null;
    try {
      const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
      for await (const entry of readTar(stream, { maxEntryBytes: ctx.maxEntryBytes })) {
        const key = sampleKey(entry.name);
        if (group && group.key !== key) {
          yield sampleRecord(ctx, file, group);
          group = null;
        }
        group ??= { key, entries: [] };
        group.entries.push(entry);
      }
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw e;
      reportOnce(
        ctx,
        file,
        "corrupt-archive",
        `${e.message}; the rest of this shard is skipped`,
        "re-create the shard (for example with `tar --format=ustar`)",
        `byte ${e.offset}`,
      );
    }
    if (group) yield sampleRecord(ctx, file, group);
  }
}

function sampleKey(name: string): string {
  const slash = name.lastIndexOf("/");
  const dot = name.indexOf(".", slash + 1);
  return dot < 0 ? name : name.slice(0, dot);
}

function lastExt(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}

function sampleRecord(ctx: ReadContext, file: string, group: Group): RawRecord {
  const first = group.entries[0];
  const where = `${file}: sample \`${group.key}\` at byte ${first?.offset ?? 0}`;
  return {
    where,
    load: async () => {
      const bad = (message: string, fix: string, entry?: TarEntry) => {
        ctx.issues.report({
          code: "incomplete-sample",
          source: ctx.spec.name,
          file,
          position: entry
            ? `entry \`${entry.name}\` at byte ${entry.offset}`
            : `sample \`${group.key}\` at byte ${first?.offset ?? 0}`,
          message,
          fix,
        });
        return null;
      };
      const image = group.entries.find((e) => IMAGE_EXTS.has(lastExt(e.name)));
      const txt = group.entries.find((e) => lastExt(e.name) === "txt");
      const json = group.entries.find((e) => lastExt(e.name) === "json");
      if (!image)
        return bad("sample has no .jpg, .png or .webp image", "add the image or drop the sample");
      if (!image.data)
        return bad(`image is ${image.size} bytes, over the entry limit`, "shrink it", image);
      let caption: string | null = null;
      if (txt?.data) caption = txt.data.toString("utf8");
      else if (json?.data) {
        try {
          const obj = JSON.parse(json.data.toString("utf8")) as Record<string, unknown>;
          const c = obj["caption"] ?? obj["txt"] ?? obj["text"];
          caption = typeof c === "string" ? c : null;
        } catch (e) {
          ctx.issues.report({
            code: "malformed-json",
            source: ctx.spec.name,
            file,
            position: `entry \`${json.name}\` at byte ${json.offset}`,
            message: `invalid JSON: ${(e as Error).message}`,
            fix: "write the metadata as one JSON object with a `caption` field",
          });
          return null;
        }
        if (caption === null)
          return bad("JSON has no string `caption` or `txt` field", "add one", json);
      }
      if (caption === null || caption.trim() === "") {
        return bad("sample has no caption (.txt or .json)", "add a caption or drop the sample");
      }
      const pixels = await loadImageBytes(
        ctx,
        image.data,
        file,
        `entry \`${image.name}\` at byte ${image.offset}`,
      );
      if (!pixels) return null;
      return {
        source: ctx.spec.name,
        where,
        parts: [
          { type: "image", pixels, ref: image.name },
          { type: "text", text: caption.trim() },
        ],
      };
    },
  };
}
