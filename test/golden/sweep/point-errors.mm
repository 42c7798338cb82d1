// Every grid point is checked as a train of its own; each problem is reported once and names
// the points (and their axis values) it is found in.
import { small } from "./_train.mm"

sweep grid {
  base: small
  vary batch: [8, 0]
  vary steps: [100, 0, 200]
}
