// models.ts: one `ModelInput` per model (the part configs as written, a comment per part with its
// shape, parameters, inferred fields and `.mm` line), its exact parameter count, and its forward
// pass: embed (vision -> connector -> image slots), forward (decoder), loss. The runtime runs these
// for training, evaluation and generation; it has no forward pass of its own.
import { StructureKind, type StatementStructures } from "ts-morph";
import type { Config, ConfigValue } from "../components/types.js";
import { tsDocText, tsLineComment, tsString } from "./escape.js";
import { count, numberLiteral, valueLiteral } from "./literals.js";
import type { NamedModel } from "./emit-names.js";
import {
  exportConst,
  importDecl,
  runtimeModule,
  where,
  type EmitOptions,
  type FilePlan,
} from "./emit-shared.js";

export function emitModels(named: readonly NamedModel[], o: EmitOptions): FilePlan {
  const statements: FilePlan["statements"] = [
    importDecl(runtimeModule(o), [
      "tf",
      "crossEntropy",
      "decoderForward",
      "embedTokens",
      "emptyMoeStats",
      "moeAuxLoss",
      "placeImageTokens",
      "shiftTargets",
    ]),
    importDecl(
      runtimeModule(o),
      ["ForwardParts", "LossParts", "ModelBatch", "ModelCode", "ModelInput", "MultimodalModel"],
      true,
    ),
  ];
  named.forEach((n, i) => {
    // a blank line between one model's last statement and the next model's documentation
    if (i > 0) statements.push((w) => w.blankLine());
    statements.push(...emitModel(n, o));
  });
  return { name: "models.ts", what: "the models", statements };
}

function emitModel(
  { constName: name, model: m }: NamedModel,
  o: EmitOptions,
): StatementStructures[] {
  const s = m.summary;
  const lines: string[] = ["{"];
  if (m.image)
    lines.push(
      `  ${tsLineComment(`Image[${m.image.join(", ")}]  (${where(o, m.spans.image)})`)}`,
      `  image: [${m.image.join(", ")}],`,
    );
  if (m.tiles)
    lines.push(
      `  ${tsLineComment(`tiles: up to ${s.encoderPasses - (m.tiles.overview ? 1 : 0)} crops${m.tiles.overview ? " and an overview" : ""} of ${s.tokensPerCrop} tokens per image  (${where(o, m.spans.tiles)})`)}`,
      `  tiles: { grids: [${m.tiles.grids.map((g) => `{ cols: ${g.cols}, rows: ${g.rows} }`).join(", ")}], overview: ${m.tiles.overview} },`,
    );
  for (const part of ["vision", "connector", "llm"] as const) {
    const input = m.parts[part];
    const sum = s.parts[part];
    if (!input || !sum) continue;
    const shape =
      part === "llm"
        ? `logits [${sum.output.tokens}, ${sum.output.width}]`
        : `[${sum.output.tokens}, ${sum.output.width}] per image`;
    const inferred = Object.entries(sum.inferred).map(
      ([k, from]) => `${k} = ${valueLiteral(lookup(sum.config, k))} from ${from.replace(/`/g, "")}`,
    );
    lines.push(
      `  ${tsLineComment(`${sum.kind} -> ${shape}; ${count(sum.params)} parameters  (${where(o, m.spans[part])})`)}`,
      ...(inferred.length ? [`  ${tsLineComment(`inferred: ${inferred.join(", ")}`)}`] : []),
      `  ${part}: { kind: ${tsString(input.kind)}, config: ${valueLiteral(input.config)} },`,
    );
  }
  lines.push("}");
  return [
    exportConst(
      name,
      "ModelInput",
      lines.join("\n"),
      [
        `\`model ${m.name}\`${m.base ? ` (a variant of \`${m.base}\`)` : ""}, declared at ${where(o, m.span)}.`,
        ...(m.doc ? ["", m.doc] : []),
        "",
        `${count(s.params)} parameters (${count(s.activeParams)} active per token)${s.imageTokens ? `; ${s.imageTokens} image tokens per image` : ""}; ` +
          `${count(s.flopsPerToken)} forward FLOPs per text token.`,
      ].join("\n"),
    ),
    exportConst(
      `${name}Params`,
      undefined,
      numberLiteral(s.params),
      `The checker's exact parameter count of \`${m.name}\`; the runtime checks the built model against it.`,
    ),
    ...emitForward(name, m),
  ];
}

const MODEL_PARAMS = [
  { name: "model", type: "MultimodalModel" },
  { name: "batch", type: "ModelBatch" },
];

/** `<name>Embed`, `<name>Forward`, `<name>Loss` and `<name>Code`, a shape comment on each line. */
function emitForward(name: string, m: NamedModel["model"]): StatementStructures[] {
  const s = m.summary;
  const llm = s.parts.llm;
  const width = llm.config["width"];
  const moe = typeof llm.config["moe"] === "object";
  const vision = s.parts.vision;
  const connector = s.parts.connector;
  const fn = (
    suffix: string,
    returnType: string,
    doc: string,
    statements: string[],
  ): StatementStructures => ({
    kind: StructureKind.Function,
    isExported: true,
    name: `${name}${suffix}`,
    parameters: MODEL_PARAMS,
    returnType,
    docs: [tsDocText(doc)],
    statements,
  });
  const text = [
    tsLineComment(`[B*T, ${width}]: the ${llm.kind}'s token embeddings of the B x T token ids`),
    'const text = embedTokens(model.weights.scope("llm"), model.tokenIds(batch));',
  ];
  const embed =
    vision && connector && m.image
      ? [
          ...text,
          tsLineComment(
            `[N, ${m.image.join(", ")}]: the batch's N images${m.tiles ? " (a tiled image's overview and crops each count)" : ""} (none: text only)`,
          ),
          "const images = model.batchImages(batch);",
          "if (images === undefined) return text;",
          tsLineComment(
            `[N, ${vision.output.tokens}, ${vision.output.width}]: ${vision.kind} patch tokens`,
          ),
          "const patches = model.encode(images);",
          tsLineComment(
            `[N, ${connector.output.tokens}, ${connector.output.width}]: ${connector.kind} image tokens in the ${llm.kind}'s width`,
          ),
          "const imageTokens = model.connect(patches);",
          tsLineComment(
            m.tiles
              ? `[B*T, ${width}]: each overview's and crop's ${s.tokensPerCrop} tokens written over its slot in the text (up to ${s.imageTokens} per image)`
              : `[B*T, ${width}]: each image's ${s.imageTokens} tokens written over its slot in the text`,
          ),
          "return placeImageTokens(text, imageTokens, batch);",
        ]
      : [...text, "return text;"];
  return [
    fn(
      "Embed",
      "tf.Tensor2D",
      `The input embeddings of \`model ${m.name}\` for B sequences of T tokens${vision ? ", images at their slots" : ""}.`,
      embed,
    ),
    fn("Forward", "ForwardParts", `The forward pass of \`model ${m.name}\`: logits per position.`, [
      "const moe = emptyMoeStats();",
      tsLineComment(`[B*T, ${width}]: input embeddings`),
      `const x = ${name}Embed(model, batch);`,
      tsLineComment(
        `[B*T, ${llm.output.width}]: logits over the vocabulary (${llm.kind}, ${llm.config["depth"]} blocks${moe ? ", with experts" : ""})`,
      ),
      'const logits = decoderForward(model.weights.scope("llm"), model.llm, x, batch.batchSize, batch.sequence, moe);',
      "return { logits, moe };",
    ]),
    fn(
      "Loss",
      "LossParts",
      `The loss of \`model ${m.name}\`: what training minimises and evaluation reports.`,
      [
        tsLineComment(`[B*T, ${llm.output.width}]: logits`),
        `const { logits, moe } = ${name}Forward(model, batch);`,
        "// [B*T]: each position predicts the next token; only text targets count",
        "const { targets, mask } = shiftTargets(batch);",
        "// []: mean cross-entropy over the text targets",
        'const ce = crossEntropy(logits, tf.tensor1d(targets, "int32"), tf.tensor1d(mask));',
        moe
          ? "// []: plus the weighted MoE load-balance and router z-losses"
          : "// []: no experts, so no auxiliary losses",
        "const total = tf.add(ce, moeAuxLoss(model.llm, moe)) as tf.Scalar;",
        "return { total, crossEntropy: ce, logits, moe };",
      ],
    ),
    exportConst(
      `${name}Code`,
      "ModelCode",
      `{ embed: ${name}Embed, forward: ${name}Forward, loss: ${name}Loss }`,
      `\`model ${m.name}\`'s forward pass as the runtime takes it (training, evaluation, generation).`,
    ),
  ];
}

/** A dotted path into a config: `moe.hidden`. */
function lookup(config: Config, path: string): ConfigValue | undefined {
  let v: ConfigValue | undefined = config;
  for (const k of path.split(".")) {
    if (v === undefined || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Config)[k];
  }
  return v;
}
