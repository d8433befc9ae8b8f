-- Change data capture for the c360 system of record (SQL Server 2016 SP1 or later).
--
-- Run in the SoR database after `ingest.sor.migrate.upgrade` has created the tables,
-- as a member of sysadmin (for the database) and db_owner (for the tables):
--   sqlcmd -S <server> -d <database> -i compose/sqlserver/enable_cdc.sql
-- SQL Server Agent must be running: CDC's capture and cleanup jobs are Agent jobs, and
-- without them the change tables stay empty and Debezium sees nothing.
--
-- Idempotent: a database or table that already has CDC is left as it is, so the script
-- can run on every start. One capture instance per table (dbo_<table>), net changes
-- on (every table has a primary key), no gating role: Debezium's login reads the change
-- tables as db_owner or through an explicit grant.
--
-- Keep the table list equal to ingest/sor/schema.py (a unit test checks it). A column
-- added by a later migration is NOT captured until the table gets a new capture
-- instance (sp_cdc_enable_table with a new @capture_instance, then the old one dropped
-- once Debezium has moved over): see the SQL Server connector's schema-evolution notes.

SET NOCOUNT ON;
GO

IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE name = DB_NAME() AND is_cdc_enabled = 1)
    EXEC sys.sp_cdc_enable_db;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.sales_reps'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'sales_reps', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.customers'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customers', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.marketing_campaigns'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'marketing_campaigns', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.campaign_members'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'campaign_members', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.customer_interactions'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customer_interactions', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.social_media_profiles'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'social_media_profiles', @role_name = NULL, @supports_net_changes = 1;
GO

IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.transactions'))
    EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'transactions', @role_name = NULL, @supports_net_changes = 1;
GO

-- The capture job scans the log every 5 s by default, so a change would wait up to 5 s
-- before Debezium could read it; every second keeps commit -> graph near a second. The
-- job takes a new interval only when restarted.
IF EXISTS (SELECT 1 FROM msdb.dbo.cdc_jobs
           WHERE database_id = DB_ID() AND job_type = N'capture' AND pollinginterval <> 1)
BEGIN
    EXEC sys.sp_cdc_change_job @job_type = N'capture', @pollinginterval = 1;
    BEGIN TRY
        EXEC sys.sp_cdc_stop_job @job_type = N'capture';
    END TRY
    BEGIN CATCH
        PRINT 'the capture job was not running';
    END CATCH;
    EXEC sys.sp_cdc_start_job @job_type = N'capture';
END
GO

-- What is captured now (one row per table above).
SELECT s.name AS source_schema, t.name AS source_table, ct.capture_instance, ct.supports_net_changes
FROM cdc.change_tables AS ct
JOIN sys.tables AS t ON t.object_id = ct.source_object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
ORDER BY t.name;
GO
