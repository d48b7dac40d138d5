import { PG_SKIP_REASON, warnIfNoPg } from '../support/pg.js';
import { quotaStoreContract } from './quota-store-contract.js';
import { postgresHarness } from './store-harness.js';

warnIfNoPg('the quota store contract suite');
quotaStoreContract('PostgreSQL', postgresHarness, PG_SKIP_REASON);
