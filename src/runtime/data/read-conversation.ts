// Conversation JSONL sources (LLaVA style, for supervised fine-tuning): each line a record with
// `conversations` and its `image`/`images`, laid out by conversation.ts with text parts marked as
// targets or not. Images resolve like the interleaved format's (contained, decoded, size-limited);
// a record whose image cannot be used is skipped whole, since its question refers to it.
import { isConversationProblem, parseConversation } from "./conversation.js";
import type { DocPart, RawRecord, ReadContext } from "./document.js";
import { isUrl, limitsOf, loadImageFile, pixelBudget } from "./document.js";
import { parseJsonLine, readSourceLines } from "./read-lines.js";
import { showText } from "./show-text.js";

export async function* readConversationJsonl(
  ctx: ReadContext,
  files: string[],
): AsyncGenerator<RawRecord> {
  for await (const line of readSourceLines(ctx, files)) {
    const where = `${line.file}: line ${line.lineNo}`;
    yield {
      where,
      bytes: line.text.length,
      load: async () => {
        const obj = parseJsonLine(ctx, line);
        if (!obj) return null;
        const position = `line ${line.lineNo}`;
        const parsed = parseConversation(obj, limitsOf(ctx).imagesPerRecord);
        if (isConversationProblem(parsed)) {
          ctx.issues.report({
            code: parsed.problem,
            source: ctx.spec.name,
            file: line.file,
            position,
            message: parsed.message,
            fix: parsed.fix,
          });
          return null;
        }
        const budget = pixelBudget(ctx);
        const pixels: Float32Array[] = [];
        for (const [i, ref] of parsed.images.entries()) {
          const at = `${position}, images[${i}]`;
          if (isUrl(ref)) {
            ctx.issues.report({
              code: "url-image",
              source: ctx.spec.name,
              file: line.file,
              position: at,
              message: `image is a URL (${showText(ref, 80)}); the conversation is skipped, mmc never downloads`,
              fix: "download the images and write their paths relative to the JSONL file",
            });
            return null;
          }
          const loaded = await loadImageFile(ctx, ref, line.file, at, budget);
          if (!loaded) return null;
          pixels.push(loaded);
        }
        const parts: DocPart[] = parsed.segments.map((s) =>
          s.type === "text"
            ? { type: "text", text: s.text, target: s.target }
            : {
                type: "image",
                pixels: pixels[s.index] as Float32Array,
                ref: parsed.images[s.index] as string,
              },
        );
        return { source: ctx.spec.name, where, parts };
      },
    };
  }
}
