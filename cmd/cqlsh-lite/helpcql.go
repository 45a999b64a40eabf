package main

// cqlTopics are HELP's CQL topics, named as cqlsh names them: a syntax
// summary of each statement the node runs ([ ] optional, | a choice, …
// repeated), and a few words on what to mind. They are the shell's own
// summaries; Cassandra's CQL reference has the whole story.
var cqlTopics = map[string]string{
	"SELECT": `
        SELECT [JSON] [DISTINCT] * | selector [AS alias], …
          FROM [keyspace.]table
          [WHERE restriction AND …]
          [GROUP BY column, …]
          [ORDER BY clustering_column [ASC | DESC], …]
          [PER PARTITION LIMIT n] [LIMIT n]
          [ALLOW FILTERING];

          selector: column, column[key], count(*), writetime(c), ttl(c),
          token(pk, …), CAST(x AS type), a function of selectors.
          restriction: pk = v, pk IN (…), token(pk) > t, clustering
          column = < <= > >= v, (c1, c2) > (v1, v2), c CONTAINS [KEY] v.
          Without a whole partition key in WHERE, the query reads every
          partition; the node asks for ALLOW FILTERING when it filters.
`,
	"INSERT": `
        INSERT INTO [keyspace.]table (column, …) VALUES (value, …)
          [IF NOT EXISTS]
          [USING TTL seconds [AND TIMESTAMP microseconds]];
        INSERT INTO [keyspace.]table JSON '{"column": value, …}'
          [DEFAULT NULL | UNSET];

          Writes a row (the whole primary key is required); an existing
          row's columns are overwritten, cell by cell. IF NOT EXISTS makes
          it a lightweight transaction: the result says [applied].
`,
	"UPDATE": `
        UPDATE [keyspace.]table
          [USING TTL seconds [AND TIMESTAMP microseconds]]
          SET assignment, …
          WHERE primary key restriction
          [IF EXISTS | IF condition AND …];

          assignment: c = v, c = c + v / c - v (counters, lists, sets,
          maps), c[key] = v, c = v + c (prepend to a list).
          UPDATE writes the row whether it existed or not (an upsert);
          IF makes it a lightweight transaction.
`,
	"DELETE": `
        DELETE [column, column[key], …] FROM [keyspace.]table
          [USING TIMESTAMP microseconds]
          WHERE primary key restriction
          [IF EXISTS | IF condition AND …];

          Without columns the whole row goes; with a partition key alone,
          the whole partition; a range of clustering columns deletes the
          rows in it. Deleting writes tombstones, kept gc_grace_seconds.
`,
	"BATCH": `
        BEGIN [UNLOGGED | COUNTER] BATCH
          [USING TIMESTAMP microseconds]
          INSERT … ; UPDATE … ; DELETE … ;
        APPLY BATCH;

          cqlsh-lite sends everything from BEGIN to the ';' after APPLY
          BATCH as one request, however many lines it spans. The node
          checks every statement before it writes any: one it refuses
          fails the batch, and nothing is written. The statements share a
          timestamp unless they set their own, and each partition's
          changes are applied atomically (wcdb keeps no batch log: when a
          write fails midway, a batch over several partitions may be
          partly applied). COUNTER batches hold counter updates only.
`,
	"TRUNCATE": `
        TRUNCATE [TABLE] [keyspace.]table;

          Removes every row of a table, on every node.
`,
	"CREATE_KEYSPACE": `
        CREATE KEYSPACE [IF NOT EXISTS] keyspace
          WITH replication =
              {'class': 'SimpleStrategy', 'replication_factor': n}
            | {'class': 'NetworkTopologyStrategy', 'dc': n, …}
          [AND durable_writes = true | false];
`,
	"ALTER_KEYSPACE": `
        ALTER KEYSPACE keyspace WITH replication = {…} [AND durable_writes = …];

          A higher replication factor takes effect for new writes; run a
          repair to copy what is already there.
`,
	"CREATE_TABLE": `
        CREATE TABLE [IF NOT EXISTS] [keyspace.]table (
          column type [STATIC | PRIMARY KEY], …
          [, PRIMARY KEY ((partition_column, …), clustering_column, …)]
        ) [WITH option = value AND …
           AND CLUSTERING ORDER BY (clustering_column ASC | DESC, …)];

          options: comment, default_time_to_live, gc_grace_seconds,
          compaction = {'class': …}, compression = {…}, caching,
          bloom_filter_fp_chance, … (HELP TYPES lists the column types).
`,
	"ALTER_TABLE": `
        ALTER TABLE [keyspace.]table
          ADD [IF NOT EXISTS] column type [STATIC] | (column type, …)
          | DROP [IF EXISTS] column | (column, …)
          | RENAME [IF EXISTS] clustering_column TO new_name [AND …]
          | WITH option = value [AND …];

          A column's type cannot be changed; primary key columns cannot be
          added or dropped.
`,
	"DROP": `
        DROP KEYSPACE [IF EXISTS] keyspace;
        DROP TABLE [IF EXISTS] [keyspace.]table;
        DROP ROLE [IF EXISTS] role;   DROP USER [IF EXISTS] user;

          Dropping a keyspace or table removes its data on every node.
`,
	"USE": `
        USE keyspace;

          Makes a keyspace the default for later statements; the prompt shows
          it.
`,
	"CREATE_ROLE": `
        CREATE ROLE [IF NOT EXISTS] role
          [WITH PASSWORD = 'secret'] [AND LOGIN = true | false]
          [AND SUPERUSER = true | false] [AND OPTIONS = {…}];
        CREATE USER [IF NOT EXISTS] user [WITH PASSWORD 'secret']
          [SUPERUSER | NOSUPERUSER];
`,
	"ALTER_ROLE": `
        ALTER ROLE role
          WITH PASSWORD = 'secret' | LOGIN = … | SUPERUSER = … [AND …];
        ALTER USER user WITH PASSWORD 'secret' [SUPERUSER | NOSUPERUSER];
`,
	"GRANT": `
        GRANT permission | ALL [PERMISSIONS] ON resource TO role;
        GRANT role TO role;

          permission: CREATE, ALTER, DROP, SELECT, MODIFY, AUTHORIZE,
          DESCRIBE, EXECUTE. resource: ALL KEYSPACES, KEYSPACE k,
          [TABLE] k.t, ALL ROLES, ROLE r.
`,
	"REVOKE": `
        REVOKE permission | ALL [PERMISSIONS] ON resource FROM role;
        REVOKE role FROM role;
`,
	"LIST_ROLES": `
        LIST ROLES [OF role] [NORECURSIVE];
        LIST USERS;
`,
	"LIST_PERMISSIONS": `
        LIST permission | ALL [PERMISSIONS] [ON resource] [OF role]
          [NORECURSIVE];
`,
	"TYPES": `
        Column types:
          ascii text varchar blob boolean
          tinyint smallint int bigint varint counter
          float double decimal
          date time timestamp duration timeuuid uuid inet
          list<t> set<t> map<k, v> tuple<t, …> frozen<collection or tuple>

          HELP TIMESTAMP_INPUT, DATE_INPUT, TIME_INPUT, BLOB_INPUT,
          UUID_INPUT, BOOLEAN_INPUT: how values of a type are written.
`,
	"TIMESTAMP_INPUT": `
        timestamp: '2024-01-31 13:45:00+0000', '2024-01-31T13:45:00.123Z',
          '2024-01-31' (midnight UTC), or milliseconds since 1970 as an
          integer; toTimestamp(now()) is the current time.
`,
	"DATE_INPUT": `
        date: '2024-01-31', or days as an integer where 2^31 is 1970-01-01.
`,
	"TIME_INPUT": `
        time: '13:45:00', '13:45:00.123456789', or nanoseconds since
          midnight as an integer.
`,
	"BLOB_INPUT": `
        blob: 0x followed by hex digits (0xcafe), or textAsBlob('…'),
          intAsBlob(1) and the like.
`,
	"UUID_INPUT": `
        uuid, timeuuid: 01234567-89ab-cdef-0123-456789abcdef unquoted;
          uuid() makes a random one, now() a timeuuid of the current time.
`,
	"BOOLEAN_INPUT": `
        boolean: true or false, unquoted, in any case.
`,
}

// helpAliases are other names of topics, as cqlsh accepts them. A topic
// of several words (CREATE TABLE) is looked up joined by '_'.
var helpAliases = map[string]string{
	"DESC": "DESCRIBE", "QUIT": "EXIT", "CLS": "CLEAR",
	"BEGIN": "BATCH", "APPLY": "BATCH",
	"SERIAL_CONSISTENCY":  "SERIAL",
	"CREATE_COLUMNFAMILY": "CREATE_TABLE", "ALTER_COLUMNFAMILY": "ALTER_TABLE",
	"DROP_TABLE": "DROP", "DROP_COLUMNFAMILY": "DROP", "DROP_KEYSPACE": "DROP",
	"DROP_ROLE": "DROP", "DROP_USER": "DROP",
	"CREATE_USER": "CREATE_ROLE", "ALTER_USER": "ALTER_ROLE",
	"LIST_USERS": "LIST_ROLES", "PERMISSIONS": "GRANT",
	"UPDATE_COUNTERS": "UPDATE", "INSERT_JSON": "INSERT", "SELECT_JSON": "SELECT",
}
