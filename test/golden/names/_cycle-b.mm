import { M } from "./import-cycle.mm"

model A = M {}
