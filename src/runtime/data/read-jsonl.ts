// JSONL sources: caption manifests (`{"image": path, "caption": text}`), OBELICS-style interleaved
// documents (parallel `texts` / `images` lists, one non-null per position) and text-only lines.
// Image paths are relative to the JSONL file and must stay inside its folder (or a declared root);
// URLs are reported and skipped, never fetched.
import type { DocPart, RawRecord, ReadContext } from "./document.js";
import { isUrl, limitsOf, loadImageFile, pixelBudget } from "./document.js";
import {
  badRecord,
  parseJsonLine,
  readSourceLines,
  reportLongLine,
  type FileLine,
} from "./read-lines.js";
import { showText } from "./show-text.js";

export async function* readCaptionJsonl(
  ctx: ReadContext,
  files: string[],
): AsyncGenerator<RawRecord> {
  for await (const line of readSourceLines(ctx, files)) {
    yield {
      where: `${line.file}: line ${line.lineNo}`,
      bytes: line.text.length,
      load: async () => {
        const obj = parseJsonLine(ctx, line);
        if (!obj) return null;
        const image = obj["image"];
        const caption = obj["caption"] ?? obj["txt"] ?? obj["text"];
        if (typeof image !== "string" || typeof caption !== "string" || caption.trim() === "") {
          return badRecord(
            ctx,
            line,
            "needs string fields `image` and `caption`",
            'write {"image": "a.png", "caption": "..."}',
          );
        }
        if (isUrl(image)) return reportUrl(ctx, line, image);
        const pixels = await loadImageFile(ctx, image, line.file, `line ${line.lineNo}`);
        if (!pixels) return null;
        return {
          source: ctx.spec.name,
          where: `${line.file}: line ${line.lineNo}`,
          parts: [
            { type: "image", pixels, ref: image },
            { type: "text", text: caption.trim() },
          ],
        };
      },
    };
  }
}

export async function* readInterleavedJsonl(
  ctx: ReadContext,
  files: string[],
): AsyncGenerator<RawRecord> {
  for await (const line of readSourceLines(ctx, files)) {
    yield {
      where: `${line.file}: line ${line.lineNo}`,
      bytes: line.text.length,
      load: async () => {
        const obj = parseJsonLine(ctx, line);
        if (!obj) return null;
        const texts = obj["texts"];
        const images = obj["images"];
        if (!Array.isArray(texts) || !Array.isArray(images)) {
          return badRecord(
            ctx,
            line,
            "needs parallel lists `texts` and `images`",
            'write {"texts": ["a", null], "images": [null, "b.png"]}',
          );
        }
        const named = images.filter((x) => typeof x === "string" && x !== "").length;
        const { imagesPerRecord } = limitsOf(ctx);
        if (named > imagesPerRecord) {
          ctx.issues.report({
            code: "record-too-large",
            source: ctx.spec.name,
            file: line.file,
            position: `line ${line.lineNo}`,
            message: `the document names ${named} images, over the limit of ${imagesPerRecord} for one record`,
            fix: "split the document",
          });
          return null;
        }
        const budget = pixelBudget(ctx);
        const parts: DocPart[] = [];
        const n = Math.max(texts.length, images.length);
        for (let i = 0; i < n; i++) {
          const text: unknown = texts[i];
          const image: unknown = images[i];
          if (typeof text === "string" && text.trim() !== "") {
            parts.push({ type: "text", text });
          } else if (typeof image === "string" && image !== "") {
            const position = `line ${line.lineNo}, images[${i}]`;
            if (isUrl(image)) {
              reportUrl(ctx, line, image, position);
              continue;
            }
            const pixels = await loadImageFile(ctx, image, line.file, position, budget);
            if (pixels) parts.push({ type: "image", pixels, ref: image });
            // the record's pixel budget is spent: the whole record is refused
            else if (budget.exceeded) return null;
          }
        }
        if (parts.length === 0) return null;
        return { source: ctx.spec.name, where: `${line.file}: line ${line.lineNo}`, parts };
      },
    };
  }
}

export async function* readTextJsonl(ctx: ReadContext, files: string[]): AsyncGenerator<RawRecord> {
  const field = ctx.spec.field ?? "text";
  for await (const line of readSourceLines(ctx, files)) {
    yield {
      where: `${line.file}: line ${line.lineNo}`,
      bytes: line.text.length,
      load: async () => {
        const obj = parseJsonLine(ctx, line);
        if (!obj) return null;
        const text = obj[field];
        if (typeof text !== "string") {
          return badRecord(
            ctx,
            line,
            `has no string field \`${field}\``,
            `set \`field\` in the source to the name of the text field`,
          );
        }
        if (text.trim() === "") return null;
        return {
          source: ctx.spec.name,
          where: `${line.file}: line ${line.lineNo}`,
          parts: [{ type: "text", text }],
        };
      },
    };
  }
}

/** Plain text files: each block of lines separated by a blank line is one document. */
export async function* readPlainText(ctx: ReadContext, files: string[]): AsyncGenerator<RawRecord> {
  const maxChars = 1 << 20;
  let block: string[] = [];
  let chars = 0;
  let start: FileLine | null = null;
  const flush = (): RawRecord | null => {
    if (!start || block.length === 0) return null;
    const text = block.join("\n");
    const where = `${start.file}: line ${start.lineNo}`;
    block = [];
    chars = 0;
    start = null;
    return {
      where,
      bytes: text.length,
      load: async () => ({ source: ctx.spec.name, where, parts: [{ type: "text", text }] }),
    };
  };
  let file = "";
  for await (const line of readSourceLines(ctx, files, true)) {
    if (line.tooLong !== undefined) {
      const record = flush();
      if (record) yield record;
      const bytes = line.tooLong;
      yield {
        where: `${line.file}: line ${line.lineNo}`,
        load: async () => reportLongLine(ctx, line, bytes),
      };
      continue;
    }
    if (line.file !== file || line.text.trim() === "" || chars > maxChars) {
      const record = flush();
      if (record) yield record;
      file = line.file;
    }
    if (line.text.trim() === "") continue;
    start ??= line;
    block.push(line.text);
    chars += line.text.length;
  }
  const record = flush();
  if (record) yield record;
}

function reportUrl(
  ctx: ReadContext,
  line: FileLine,
  url: string,
  position = `line ${line.lineNo}`,
): null {
  ctx.issues.report({
    code: "url-image",
    source: ctx.spec.name,
    file: line.file,
    position,
    message: `image is a URL (${showText(url, 80)}); it is skipped, mmc never downloads`,
    fix: "download the images and write their paths relative to the JSONL file",
  });
  return null;
}
