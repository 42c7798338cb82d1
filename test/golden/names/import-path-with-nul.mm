import { Base } from "./base\0.mm"
