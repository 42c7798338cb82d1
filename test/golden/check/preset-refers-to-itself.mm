import { ViT } from "std/encoders"

encoder Base = Large { depth: 12 }
encoder Large = Base { width: 1024 }
