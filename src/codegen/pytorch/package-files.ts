// The static Python files the PyTorch package holds whole, beside model.py: the data pipeline
// (py/data*.py), each copied under a generated header. model.py's fragments are in fragments.ts.

/** Files of py/ copied into the package as they are, in the order they are written. */
export const COPIED_FILES = ["data.py", "data_read.py", "data_files.py", "data_image.py"] as const;

export type CopiedFile = (typeof COPIED_FILES)[number];

/** What each copied file is, for its header line. */
export const COPIED_ROLE: Readonly<Record<CopiedFile, string>> = {
  "data.py": "the data pipeline",
  "data_read.py": "the data pipeline's readers",
  "data_files.py": "the data pipeline's file access",
  "data_image.py": "the data pipeline's images",
};
