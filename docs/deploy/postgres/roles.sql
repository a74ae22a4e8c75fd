-- The database and its two roles, with the least rights each needs. Run once, as a superuser:
--
--   sudo -u postgres psql -v owner_password="$(openssl rand -base64 24)" \
--        -v app_password="$(openssl rand -base64 24)" -f docs/deploy/postgres/roles.sql
--
-- and put the passwords in the URLs of /etc/bpu-bot/migrate.env and /etc/bpu-bot/bpu-bot.env.
-- Optional names (defaults in brackets): -v database=[bpu] -v owner=[bpu_owner] -v app=[bpu_app].
--
-- owner: owns the database and its schema; `bpu-bot db upgrade` (bpu-bot-migrate.service) and
--        `bpu-bot restore` run as it: they create, alter and drop tables.
-- app:   what `bpu-bot serve` runs as, and `backup`, `keys rotate`, `purge`: it reads and writes
--        rows (SELECT, INSERT, UPDATE, DELETE; the sequences of the ids) and takes advisory locks
--        (which sender leads), nothing else: no DDL, no TRUNCATE, no other database.
-- Tables the owner creates later (every migration) get the app's rights by default privileges.

\set ON_ERROR_STOP on
\if :{?database}
\else
    \set database bpu
\endif
\if :{?owner}
\else
    \set owner bpu_owner
\endif
\if :{?app}
\else
    \set app bpu_app
\endif

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password' CONNECTION LIMIT 100;
CREATE DATABASE :"database" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";

\connect :"database"
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
-- Tables already there (a database migrated before this script ran):
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
