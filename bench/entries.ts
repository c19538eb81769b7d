import { BenchEntry } from './entry';
import { gitClonedSiteInit } from './entries/git-cloned-site-init';
import { httpdWithPostStart } from './entries/httpd-with-post-start';
import { preStopAudit } from './entries/pre-stop-audit';

/** Every construct the benchmark measures: adding a construct is one line here. */
export const BENCH_ENTRIES: readonly BenchEntry[] = [httpdWithPostStart, preStopAudit, gitClonedSiteInit];
