import { Decoder } from "std/llm"

model Deep { llm: Decoder { width: 256, heads: 4, depth: 1000000 } }

model Wide { llm: Decoder { width: 1e308, heads: 1 } }

model Long { llm: Decoder { width: 256, heads: 4, context: 1T } }
