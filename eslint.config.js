// Lint rules: typescript-eslint's recommended set, plus the stage dependency direction
// from docs/architecture.md (components/ and runtime/ never import the compiler stages; metrics/
// imports nothing).
import tseslint from "typescript-eslint";

const compilerStages = [
  "**/syntax/**",
  "**/resolve/**",
  "**/check/**",
  "**/codegen/**",
  "**/cli/**",
  "**/pipeline.js",
];

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "grammar/dist/**",
      "node_modules/**",
      "out/**",
      "runs/**",
      "data/**",
      "examples/data/**",
      "examples/runs/**",
      "**/.mmc/**",
      "test/**/fixtures/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["src/components/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [...compilerStages, "**/runtime/**", "@tensorflow/*"] },
      ],
    },
  },
  {
    // Metrics are pure functions over strings: no stages, no runtime, no tfjs, no I/O.
    files: ["src/metrics/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...compilerStages,
            "**/runtime/**",
            "**/components/**",
            "@tensorflow/*",
            "node:*",
          ],
        },
      ],
    },
  },
  {
    // The settings tables and run types are a leaf: the components' limits at most, no I/O.
    files: ["src/spec/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...compilerStages,
            "**/runtime/**",
            "**/lsp/**",
            "**/format/**",
            "**/report/**",
            "**/metrics/**",
            "**/sweep/**",
            "@tensorflow/*",
            "node:*",
          ],
        },
      ],
    },
  },
  {
    files: ["src/runtime/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: compilerStages }] },
  },
  {
    files: [
      "src/source/**/*.ts",
      "src/diagnostics/**/*.ts",
      "src/syntax/**/*.ts",
      "src/resolve/**/*.ts",
      "src/check/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            "**/cli/**",
            "**/runtime/**",
            "**/codegen/**",
            "node:fs",
            "node:fs/promises",
            "node:child_process",
          ],
        },
      ],
    },
  },
  {
    // The language server is a thin adapter over the pipeline, like the CLI: it may use the
    // stages, the components and the formatter, never the runtime, code generation, the CLI or
    // the disk (the CLI hands it a file host).
    files: ["src/lsp/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            "**/cli/**",
            "**/runtime/**",
            "**/codegen/**",
            "**/report/**",
            "**/metrics/**",
            "node:fs",
            "node:fs/promises",
            "node:child_process",
          ],
        },
      ],
    },
  },
  {
    // The formatter works from the syntax stage alone, and does no I/O (the CLI and the
    // language server call it).
    files: ["src/format/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            "**/cli/**",
            "**/runtime/**",
            "**/codegen/**",
            "**/resolve/**",
            "**/check/**",
            "**/components/**",
            "**/pipeline.js",
            "node:fs",
            "node:fs/promises",
            "node:child_process",
          ],
        },
      ],
    },
  },
);
