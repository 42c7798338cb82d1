// COCO-style caption files (`{"images": [{id, file_name}], "annotations": [{image_id, caption}]}`)
// with their images in a folder, as plain records for caption evaluation: each image with its path
// and its reference captions. Bad records are counted and skipped (or thrown with `strict`).
import { DataError } from "./issues.js";
import {
  benchmarkIssues,
  ImageFolder,
  isObject,
  issueCounts,
  readId,
  readJsonFile,
  showText,
  topLevelArray,
  type BenchmarkCounts,
  type BenchmarkOptions,
} from "./benchmark-files.js";

export interface CocoCaptionOptions extends BenchmarkOptions {
  /** The caption file (`captions_val2014.json` or the like). */
  annotations: string;
  /** The folder the images' `file_name`s are relative to. */
  imageDir: string;
}

export interface CocoImage {
  imageId: number | string;
  fileName: string;
  /** Real path, inside the image folder. */
  imagePath: string;
  /** The reference captions, as written, in file order. */
  references: string[];
}

export interface CocoCaptionSet {
  images: CocoImage[];
  /** `read` and `skipped` count images; annotations that were skipped are in `issues`. */
  counts: BenchmarkCounts;
}

/** Longer captions are skipped: tokenizing text without spaces grows faster than its length. */
export const MAX_CAPTION_CHARS = 10_000;

const EXAMPLE =
  '{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"image_id": 1, "caption": "..."}]}';

export async function readCocoCaptions(options: CocoCaptionOptions): Promise<CocoCaptionSet> {
  const file = options.annotations;
  const shown = `caption file \`${showText(file)}\``;
  const folder = new ImageFolder(options.imageDir);
  await folder.check();
  const doc = await readJsonFile(file, "caption file");
  const imageList = topLevelArray(doc, "images", shown, EXAMPLE);
  const annotationList = topLevelArray(doc, "annotations", shown, EXAMPLE);
  const { sink, report } = benchmarkIssues(options, "captions");

  const byId = new Map<number | string, { fileName: string; position: string; refs: string[] }>();
  imageList.forEach((entry, i) => {
    const position = `images[${i}]`;
    const id = isObject(entry) ? readId(entry["id"]) : undefined;
    const fileName = isObject(entry) ? entry["file_name"] : undefined;
    if (id === undefined || typeof fileName !== "string")
      return report(file, position, {
        code: "bad-record",
        message: "an image needs an `id` (integer or string) and a string `file_name`",
        fix: 'write {"id": 1, "file_name": "a.jpg"}',
      });
    if (byId.has(id))
      return report(file, position, {
        code: "bad-record",
        message: `image id ${showText(String(id))} appears twice; the later one is skipped`,
        fix: "give each image its own id",
      });
    byId.set(id, { fileName, position, refs: [] });
  });

  annotationList.forEach((entry, i) => {
    const position = `annotations[${i}]`;
    const id = isObject(entry) ? readId(entry["image_id"]) : undefined;
    const caption = isObject(entry) ? entry["caption"] : undefined;
    if (id === undefined || typeof caption !== "string")
      return report(file, position, {
        code: "bad-record",
        message: "an annotation needs an `image_id` and a string `caption`",
        fix: 'write {"image_id": 1, "caption": "a dog on a couch."}',
      });
    if (caption.length > MAX_CAPTION_CHARS)
      return report(file, position, {
        code: "bad-record",
        message: `caption is ${caption.length} characters, over the ${MAX_CAPTION_CHARS} limit`,
        fix: "shorten the caption or remove it",
      });
    const image = byId.get(id);
    if (!image)
      return report(file, position, {
        code: "bad-record",
        message: `annotation for image id ${showText(String(id))}, which \`images\` does not list`,
        fix: "add the image to `images` or remove the annotation",
      });
    image.refs.push(caption);
  });

  const images: CocoImage[] = [];
  let skipped = imageList.length - byId.size;
  for (const [imageId, im] of byId) {
    if (im.refs.length === 0) {
      skipped++;
      report(file, im.position, {
        code: "bad-record",
        message: `image ${showText(String(imageId))} has no caption, so it cannot be scored`,
        fix: "add its reference captions or remove the image",
      });
      continue;
    }
    const found = await folder.resolve(im.fileName);
    if (!found.ok) {
      skipped++;
      report(file, im.position, found.refusal);
      continue;
    }
    images.push({ imageId, fileName: im.fileName, imagePath: found.path, references: im.refs });
  }
  if (images.length === 0 && imageList.length > 0)
    throw new DataError(
      `${shown}: none of its ${imageList.length} images can be used (see the warnings); check the image folder`,
    );
  return { images, counts: { read: images.length, skipped, issues: issueCounts(sink) } };
}
