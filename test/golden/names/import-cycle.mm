import { A } from "./_cycle-b.mm"

model M = A {}
