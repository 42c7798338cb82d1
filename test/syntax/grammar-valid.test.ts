// mmc builds its lexer and parser without chevrotain's definition checks, to start faster; this
// runs the checks, so an ambiguous rule or a broken token pattern still fails the build.
import { describe, expect, test } from "vitest";
import { validateGrammar } from "../../src/syntax/parser.js";

describe("grammar definition", () => {
  test("the lexer and the parser pass chevrotain's own validations", () => {
    expect(() => validateGrammar()).not.toThrow();
  });
});
