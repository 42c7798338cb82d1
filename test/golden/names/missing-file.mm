import { Base } from "./does-not-exist.mm"
import { X } from "lib/parts"

model M = Base {}
