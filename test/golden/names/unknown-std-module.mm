import { ViT } from "std/encoder"

model M {
  vision: ViT {}
}
