import { ViT, CAbstractr } from "std/connectors"

model M {
  connector: CAbstractr { tokens: 16 }
  vision: ViT {}
}
