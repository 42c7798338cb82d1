// WebDataset caption shards: consecutive tar entries sharing a key (the name up to the first dot
// of the file name) form a sample; the image is .jpg/.jpeg/.png/.webp, the caption .txt or .json.
// A sample holds at most `sampleMembers` members and `sampleBytes` bytes; past that its data is
// let go at once and the sample is one skipped record.
import type { RawRecord, ReadContext } from "./document.js";
import { limitsOf, loadImageBytes, openSourceFile, reportOnce } from "./document.js";
import { formatBytes } from "./limits.js";
import { openByteStream } from "./line-reader.js";
import { showText } from "./show-text.js";
import { readTar, TarFormatError, type TarEntry } from "./tar-reader.js";

const IMAGE_EXTS = new Set(["jpg", "jpeg", "png", "webp"]);

interface Group {
  key: string;
  entries: TarEntry[];
  /** Byte offset of the sample's first entry. */
  offset: number;
  /** Bytes of the entries held. */
  bytes: number;
  /** Why the sample's data was let go, once it passed a limit. */
  overflow?: string;
}

export async function* readWebDataset(
  ctx: ReadContext,
  files: string[],
): AsyncGenerator<RawRecord> {
  const limits = limitsOf(ctx);
  for (const file of files) {
    const handle = await openSourceFile(ctx, file);
    if (!handle) continue;
    let group: Group | null = null;
    try {
      const stream = openByteStream(handle, false);
      for await (const entry of readTar(stream, { maxEntryBytes: limits.fileBytes })) {
        const key = sampleKey(entry.name);
        if (group && group.key !== key) {
          yield sampleRecord(ctx, file, group);
          group = null;
        }
        group ??= { key, entries: [], offset: entry.offset, bytes: 0 };
        if (group.overflow) continue;
        const bytes = entry.data?.length ?? 0;
        if (group.entries.length >= limits.sampleMembers)
          group.overflow = `the sample has more than ${limits.sampleMembers} members`;
        else if (group.bytes + bytes > limits.sampleBytes)
          group.overflow = `the sample's members add up to more than ${formatBytes(limits.sampleBytes)}`;
        if (group.overflow) {
          group.entries = [];
          group.bytes = 0;
          continue;
        }
        group.entries.push(entry);
        group.bytes += bytes;
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
  const key = showText(group.key);
  const where = `${file}: sample \`${key}\` at byte ${group.offset}`;
  return {
    where,
    bytes: group.bytes,
    load: async () => {
      const bad = (
        message: string,
        fix: string,
        entry?: TarEntry,
        code: "incomplete-sample" | "file-too-large" | "record-too-large" = "incomplete-sample",
      ) => {
        ctx.issues.report({
          code,
          source: ctx.spec.name,
          file,
          position: entry
            ? `entry \`${showText(entry.name)}\` at byte ${entry.offset}`
            : `sample \`${key}\` at byte ${group.offset}`,
          message,
          fix,
        });
        return null;
      };
      if (group.overflow)
        return bad(
          `${group.overflow}; it is skipped`,
          "give each sample its own key (the name up to the first dot)",
          undefined,
          "record-too-large",
        );
      const image = group.entries.find((e) => IMAGE_EXTS.has(lastExt(e.name)));
      const txt = group.entries.find((e) => lastExt(e.name) === "txt");
      const json = group.entries.find((e) => lastExt(e.name) === "json");
      if (!image)
        return bad("sample has no .jpg, .png or .webp image", "add the image or drop the sample");
      if (!image.data)
        return bad(
          `image is ${formatBytes(image.size)}, over the ${formatBytes(limitsOf(ctx).fileBytes)} limit for one file; it was skipped unread`,
          "shrink or re-encode it",
          image,
          "file-too-large",
        );
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
            position: `entry \`${showText(json.name)}\` at byte ${json.offset}`,
            message: `invalid JSON: ${showText((e as Error).message)}`,
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
        `entry \`${showText(image.name)}\` at byte ${image.offset}`,
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
