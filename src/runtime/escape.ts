// Text from files and flags (paths, tensor and train names) on its way to a terminal: control
// characters written as escapes, so such a name cannot move the cursor or hide what follows.

/** Control characters (C0, DEL, C1, and the bidirectional overrides) as `\xNN`/`\uNNNN`. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
