// What repositories run SQL on: the pool for single statements, or the client of a transaction the
// service opened (so several repositories can write in one transaction).
import type { QueryResult, QueryResultRow } from 'pg';

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
