import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"

encoder E = ViT { patch: 8 }
