import { BenchEntry } from './entry';
import { httpdWithPostStart } from './entries/httpd-with-post-start';

/** Every construct the benchmark measures: adding a construct is one line here. */
export const BENCH_ENTRIES: readonly BenchEntry[] = [httpdWithPostStart];
