using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ProcessServer.Persistence.Migrations;

/// <summary>
/// The tables of Quartz.NET's persistent (ADO.NET) job store, in the server's own database, so the
/// deadline sweep's schedule survives restarts with everything else.
/// </summary>
/// <remarks>
/// <para>The DDL is the schema Quartz 4.7.3 itself ships for SQLite and PostgreSQL (the embedded
/// resources <c>Quartz.Impl.AdoJobStore.Schema.create_sqlite.sql</c> and <c>create_postgres.sql</c> of
/// Quartz.dll 4.7.3, with the table prefix <c>QRTZ_</c> substituted), copied verbatim statement by
/// statement. The scripts under <c>database/tables/</c> of the Quartz repository were not used: they
/// lag behind 4.7 (no MISFIRE_THRESHOLD, FIXED_DELAY, PAUSED_JOB_GRPS, EXECUTION_HISTORY, ...), and
/// Quartz validates the schema at start-up and refuses one that misses a column it uses.</para>
/// <para>A later Quartz release that adds columns needs a new migration with its upgrade script
/// (database/migrations/&lt;version&gt;/ in the Quartz repository); this one is never edited.</para>
/// </remarks>
[DbContext(typeof(ProcessServerDbContext))]
[Migration("20261122000004_QuartzJobStore")]
public sealed class QuartzJobStore : Migration
{
    /// <summary>Every Quartz table, parents last, in the order they are dropped.</summary>
    private static readonly string[] Tables =
    [
        "QRTZ_JOB_STATUS",
        "QRTZ_MISFIRE_HISTORY",
        "QRTZ_EXECUTION_HISTORY",
        "QRTZ_LOCKS",
        "QRTZ_SCHEDULER_STATE",
        "QRTZ_FIRED_TRIGGERS",
        "QRTZ_PAUSED_JOB_GRPS",
        "QRTZ_PAUSED_TRIGGER_GRPS",
        "QRTZ_CALENDARS",
        "QRTZ_BLOB_TRIGGERS",
        "QRTZ_SIMPROP_TRIGGERS",
        "QRTZ_CRON_TRIGGERS",
        "QRTZ_SIMPLE_TRIGGERS",
        "QRTZ_TRIGGERS",
        "QRTZ_JOB_DETAILS",
    ];

    private static readonly string[] Sqlite =
    [
        """
        CREATE TABLE IF NOT EXISTS QRTZ_JOB_DETAILS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          DESCRIPTION NVARCHAR(250) NULL,
          JOB_CLASS_NAME NVARCHAR(250) NOT NULL,
          IS_DURABLE BIT NOT NULL,
          IS_NONCONCURRENT BIT NOT NULL,
          IS_UPDATE_DATA BIT NOT NULL,
          REQUESTS_RECOVERY BIT NOT NULL,
          JOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME,JOB_NAME,JOB_GROUP)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          DESCRIPTION NVARCHAR(250) NULL,
          NEXT_FIRE_TIME BIGINT NULL,
          PREV_FIRE_TIME BIGINT NULL,
          PRIORITY INTEGER NULL,
          TRIGGER_STATE NVARCHAR(16) NOT NULL,
          TRIGGER_TYPE NVARCHAR(8) NOT NULL,
          START_TIME BIGINT NOT NULL,
          END_TIME BIGINT NULL,
          CALENDAR_NAME NVARCHAR(200) NULL,
          MISFIRE_INSTR INTEGER NULL,
          MISFIRE_ORIG_FIRE_TIME INTEGER NULL,
          EXECUTION_GROUP NVARCHAR(200) NULL,
          PREFERRED_NODE NVARCHAR(200) NULL,
          PREFERRED_NODE_AUTO BIT NOT NULL DEFAULT 0,
          RETRY_POLICY NVARCHAR(250) NULL,
          RETRY_ATTEMPT INTEGER NULL,
          CONTINUES_TRIGGER_NAME NVARCHAR(150) NULL,
          CONTINUES_TRIGGER_GROUP NVARCHAR(150) NULL,
          CONTINUATION_CONDITION INTEGER NULL,
          OVERLAP_POLICY INTEGER NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          MISFIRE_THRESHOLD BIGINT NULL,
          FIXED_DELAY BIT NULL,
          JOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME,JOB_NAME,JOB_GROUP) REFERENCES QRTZ_JOB_DETAILS (SCHED_NAME,JOB_NAME,JOB_GROUP)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_SIMPLE_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          REPEAT_COUNT BIGINT NOT NULL,
          REPEAT_INTERVAL BIGINT NOT NULL,
          TIMES_TRIGGERED BIGINT NOT NULL,
          PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_CRON_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          CRON_EXPRESSION NVARCHAR(250) NOT NULL,
          TIME_ZONE_ID NVARCHAR(80),
          PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_SIMPROP_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          STR_PROP_1 NVARCHAR(512) NULL,
          STR_PROP_2 NVARCHAR(512) NULL,
          STR_PROP_3 NVARCHAR(512) NULL,
          INT_PROP_1 INT NULL,
          INT_PROP_2 INT NULL,
          LONG_PROP_1 BIGINT NULL,
          LONG_PROP_2 BIGINT NULL,
          DEC_PROP_1 NUMERIC NULL,
          DEC_PROP_2 NUMERIC NULL,
          BOOL_PROP_1 BIT NULL,
          BOOL_PROP_2 BIT NULL,
          TIME_ZONE_ID NVARCHAR(80) NULL,
          PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_BLOB_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          BLOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) REFERENCES QRTZ_TRIGGERS (SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_CALENDARS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          CALENDAR_NAME NVARCHAR(200) NOT NULL,
          CALENDAR BLOB NOT NULL,
          PRIMARY KEY (SCHED_NAME,CALENDAR_NAME)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_PAUSED_TRIGGER_GRPS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          PRIMARY KEY (SCHED_NAME,TRIGGER_GROUP)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_PAUSED_JOB_GRPS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          PRIMARY KEY (SCHED_NAME,JOB_GROUP)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_FIRED_TRIGGERS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          ENTRY_ID NVARCHAR(140) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          FIRED_TIME BIGINT NOT NULL,
          SCHED_TIME BIGINT NOT NULL,
          PRIORITY INTEGER NOT NULL,
          STATE NVARCHAR(16) NOT NULL,
          JOB_NAME NVARCHAR(150) NULL,
          JOB_GROUP NVARCHAR(150) NULL,
          IS_NONCONCURRENT BIT NULL,
          REQUESTS_RECOVERY BIT NULL,
          EXECUTION_GROUP NVARCHAR(200) NULL,
          PROGRESS INTEGER NULL,
          PROGRESS_MESSAGE NVARCHAR(250) NULL,
          INTERRUPT_REQUESTED_TIME BIGINT NULL,
          PRIMARY KEY (SCHED_NAME,ENTRY_ID)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_SCHEDULER_STATE (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          LAST_CHECKIN_TIME BIGINT NOT NULL,
          CHECKIN_INTERVAL BIGINT NOT NULL,
          QUARTZ_VERSION NVARCHAR(20) NULL,
          PRIMARY KEY (SCHED_NAME,INSTANCE_NAME)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_LOCKS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          LOCK_NAME NVARCHAR(40) NOT NULL,
          PRIMARY KEY (SCHED_NAME,LOCK_NAME)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_EXECUTION_HISTORY (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          ENTRY_ID NVARCHAR(140) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          FIRED_TIME BIGINT NOT NULL,
          RUN_TIME BIGINT NOT NULL,
          SUCCEEDED BIT NOT NULL,
          ERROR_MESSAGE NVARCHAR(1000) NULL,
          RETRY_ATTEMPT INTEGER NOT NULL DEFAULT 0,
          RETRY_SCHEDULED BIT NOT NULL DEFAULT 0,
          EXECUTION_LOG TEXT NULL,
          RESULT INTEGER NULL,
          SUMMARY NVARCHAR(1000) NULL,
          METRICS TEXT NULL,
          MANUAL BIT NULL,
          FIRE_INSTANCE_ID NVARCHAR(140) NULL,
          JOB_INPUT TEXT NULL,
          JOB_INPUT_TOO_LARGE BIT NULL,
          PRIMARY KEY (SCHED_NAME,ENTRY_ID)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_MISFIRE_HISTORY (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          ENTRY_ID NVARCHAR(140) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          JOB_NAME NVARCHAR(150) NULL,
          JOB_GROUP NVARCHAR(150) NULL,
          MISFIRE_TIME BIGINT NOT NULL,
          SCHED_TIME BIGINT NULL,
          REASON INTEGER NULL,
          PRIMARY KEY (SCHED_NAME,ENTRY_ID)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_JOB_STATUS (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          FIRST_FIRED_TIME BIGINT NOT NULL,
          LAST_FIRED_TIME BIGINT NOT NULL,
          LAST_RESULT INTEGER NOT NULL,
          LAST_RUN_TIME BIGINT NOT NULL,
          LAST_INSTANCE_NAME NVARCHAR(200) NOT NULL,
          LAST_ENTRY_ID NVARCHAR(140) NULL,
          LAST_SUMMARY NVARCHAR(1000) NULL,
          LAST_SUCCESS_TIME BIGINT NULL,
          LAST_FAILURE_TIME BIGINT NULL,
          LAST_FAILURE_MESSAGE NVARCHAR(1000) NULL,
          CONSECUTIVE_FAILURES INTEGER NOT NULL DEFAULT 0,
          RUN_COUNT BIGINT NOT NULL DEFAULT 0,
          FAILURE_COUNT BIGINT NOT NULL DEFAULT 0,
          PRIMARY KEY (SCHED_NAME,JOB_GROUP,JOB_NAME)
        );
        """,
        """
        CREATE TRIGGER IF NOT EXISTS QRTZ_DELETE_SIMPLE_TRIGGER DELETE ON QRTZ_TRIGGERS
        BEGIN
          DELETE FROM QRTZ_SIMPLE_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS QRTZ_DELETE_SIMPROP_TRIGGER DELETE ON QRTZ_TRIGGERS
        BEGIN
          DELETE FROM QRTZ_SIMPROP_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS QRTZ_DELETE_CRON_TRIGGER DELETE ON QRTZ_TRIGGERS
        BEGIN
          DELETE FROM QRTZ_CRON_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS QRTZ_DELETE_BLOB_TRIGGER DELETE ON QRTZ_TRIGGERS
        BEGIN
          DELETE FROM QRTZ_BLOB_TRIGGERS WHERE SCHED_NAME=OLD.SCHED_NAME AND TRIGGER_NAME=OLD.TRIGGER_NAME AND TRIGGER_GROUP=OLD.TRIGGER_GROUP;
        END
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_J_G_N ON QRTZ_JOB_DETAILS(SCHED_NAME,JOB_GROUP,JOB_NAME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_T_J ON QRTZ_TRIGGERS(SCHED_NAME,JOB_NAME,JOB_GROUP);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_T_G_N ON QRTZ_TRIGGERS(SCHED_NAME,TRIGGER_GROUP,TRIGGER_NAME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_T_C ON QRTZ_TRIGGERS(SCHED_NAME,CALENDAR_NAME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_T_NFT_ST ON QRTZ_TRIGGERS(SCHED_NAME,TRIGGER_STATE,NEXT_FIRE_TIME ASC,PRIORITY DESC,MISFIRE_INSTR);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_FT_INST_JOB_REQ_RCVRY ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,INSTANCE_NAME,REQUESTS_RECOVERY);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_FT_J_G ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,JOB_NAME,JOB_GROUP);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_FT_T_G ON QRTZ_FIRED_TRIGGERS(SCHED_NAME,TRIGGER_NAME,TRIGGER_GROUP);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_EH_FIRED_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,FIRED_TIME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_EH_INST ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,INSTANCE_NAME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_MH_MISFIRE_TIME ON QRTZ_MISFIRE_HISTORY(SCHED_NAME,MISFIRE_TIME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_MH_INST ON QRTZ_MISFIRE_HISTORY(SCHED_NAME,INSTANCE_NAME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_EH_JOB_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,JOB_GROUP,JOB_NAME,FIRED_TIME);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_EH_FIRE_INST ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,FIRE_INSTANCE_ID);
        """,
        """
        CREATE INDEX IF NOT EXISTS IDX_QRTZ_EH_TRIG_TIME ON QRTZ_EXECUTION_HISTORY(SCHED_NAME,TRIGGER_GROUP,TRIGGER_NAME,FIRED_TIME);
        """,
    ];

    private static readonly string[] Postgres =
    [
        """
        CREATE TABLE IF NOT EXISTS QRTZ_job_details (
          sched_name text not null,
          job_name text not null,
          job_group text not null,
          description text null,
          job_class_name text not null,
          is_durable bool not null,
          is_nonconcurrent bool not null,
          is_update_data bool not null,
          requests_recovery bool not null,
          job_data bytea null,
          primary key (sched_name,job_name,job_group)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_triggers (
          sched_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          job_name text not null,
          job_group text not null,
          description text null,
          next_fire_time bigint null,
          prev_fire_time bigint null,
          priority integer null,
          trigger_state text not null,
          trigger_type text not null,
          start_time bigint not null,
          end_time bigint null,
          calendar_name text null,
          misfire_instr smallint null,
          misfire_orig_fire_time bigint null,
          execution_group varchar(200) null,
          preferred_node varchar(200) null,
          preferred_node_auto bool not null default false,
          retry_policy varchar(250) null,
          retry_attempt integer null,
          continues_trigger_name text null,
          continues_trigger_group text null,
          continuation_condition integer null,
          overlap_policy integer null,
          pause_reason varchar(250) null,
          paused_by varchar(200) null,
          paused_at bigint null,
          misfire_threshold bigint null,
          fixed_delay bool null,
          job_data bytea null,
          primary key (sched_name,trigger_name,trigger_group),
          foreign key (sched_name,job_name,job_group) references QRTZ_job_details (sched_name,job_name,job_group)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_simple_triggers (
          sched_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          repeat_count bigint not null,
          repeat_interval bigint not null,
          times_triggered bigint not null,
          primary key (sched_name,trigger_name,trigger_group),
          foreign key (sched_name,trigger_name,trigger_group) references QRTZ_triggers (sched_name,trigger_name,trigger_group) on delete cascade
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_cron_triggers (
          sched_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          cron_expression text not null,
          time_zone_id text,
          primary key (sched_name,trigger_name,trigger_group),
          foreign key (sched_name,trigger_name,trigger_group) references QRTZ_triggers (sched_name,trigger_name,trigger_group) on delete cascade
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_simprop_triggers (
          sched_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          str_prop_1 text null,
          str_prop_2 text null,
          str_prop_3 text null,
          int_prop_1 integer null,
          int_prop_2 integer null,
          long_prop_1 bigint null,
          long_prop_2 bigint null,
          dec_prop_1 numeric null,
          dec_prop_2 numeric null,
          bool_prop_1 bool null,
          bool_prop_2 bool null,
          time_zone_id text null,
          primary key (sched_name,trigger_name,trigger_group),
          foreign key (sched_name,trigger_name,trigger_group) references QRTZ_triggers (sched_name,trigger_name,trigger_group) on delete cascade
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_blob_triggers (
          sched_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          blob_data bytea null,
          primary key (sched_name,trigger_name,trigger_group),
          foreign key (sched_name,trigger_name,trigger_group) references QRTZ_triggers (sched_name,trigger_name,trigger_group) on delete cascade
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_calendars (
          sched_name text not null,
          calendar_name text not null,
          calendar bytea not null,
          primary key (sched_name,calendar_name)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_paused_trigger_grps (
          sched_name text not null,
          trigger_group text not null,
          pause_reason varchar(250) null,
          paused_by varchar(200) null,
          paused_at bigint null,
          primary key (sched_name,trigger_group)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_paused_job_grps (
          sched_name text not null,
          job_group text not null,
          pause_reason varchar(250) null,
          paused_by varchar(200) null,
          paused_at bigint null,
          primary key (sched_name,job_group)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_fired_triggers (
          sched_name text not null,
          entry_id text not null,
          trigger_name text not null,
          trigger_group text not null,
          instance_name text not null,
          fired_time bigint not null,
          sched_time bigint not null,
          priority integer not null,
          state text not null,
          job_name text null,
          job_group text null,
          is_nonconcurrent bool not null,
          requests_recovery bool null,
          execution_group varchar(200) null,
          progress integer null,
          progress_message varchar(250) null,
          interrupt_requested_time bigint null,
          primary key (sched_name,entry_id)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_scheduler_state (
          sched_name text not null,
          instance_name text not null,
          last_checkin_time bigint not null,
          checkin_interval bigint not null,
          quartz_version varchar(20) null,
          primary key (sched_name,instance_name)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_locks (
          sched_name text not null,
          lock_name text not null,
          primary key (sched_name,lock_name)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_execution_history (
          sched_name text not null,
          entry_id text not null,
          instance_name text not null,
          job_name text not null,
          job_group text not null,
          trigger_name text not null,
          trigger_group text not null,
          fired_time bigint not null,
          run_time bigint not null,
          succeeded bool not null,
          error_message text null,
          retry_attempt integer not null default 0,
          retry_scheduled bool not null default false,
          execution_log text null,
          result integer null,
          summary text null,
          metrics text null,
          manual bool null,
          fire_instance_id text null,
          job_input text null,
          job_input_too_large bool null,
          primary key (sched_name,entry_id)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_misfire_history (
          sched_name text not null,
          entry_id text not null,
          instance_name text not null,
          trigger_name text not null,
          trigger_group text not null,
          job_name text null,
          job_group text null,
          misfire_time bigint not null,
          sched_time bigint null,
          reason integer null,
          primary key (sched_name,entry_id)
        );
        """,
        """
        CREATE TABLE IF NOT EXISTS QRTZ_job_status (
          sched_name text not null,
          job_group text not null,
          job_name text not null,
          first_fired_time bigint not null,
          last_fired_time bigint not null,
          last_result integer not null,
          last_run_time bigint not null,
          last_instance_name text not null,
          last_entry_id text null,
          last_summary text null,
          last_success_time bigint null,
          last_failure_time bigint null,
          last_failure_message text null,
          consecutive_failures integer not null default 0,
          run_count bigint not null default 0,
          failure_count bigint not null default 0,
          primary key (sched_name,job_group,job_name)
        );
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_j_g_n ON QRTZ_job_details (sched_name, job_group, job_name);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_t_j ON QRTZ_triggers (sched_name, job_name, job_group);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_t_g_n ON QRTZ_triggers (sched_name, trigger_group, trigger_name);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_t_c ON QRTZ_triggers (sched_name, calendar_name);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_t_nft_st ON QRTZ_triggers (sched_name, trigger_state, next_fire_time asc, priority desc, misfire_instr);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_ft_inst_job_req_rcvry ON QRTZ_fired_triggers (sched_name, instance_name, requests_recovery);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_ft_j_g ON QRTZ_fired_triggers (sched_name, job_name, job_group);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_ft_t_g ON QRTZ_fired_triggers (sched_name, trigger_name, trigger_group);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_eh_fired_time ON QRTZ_execution_history (sched_name, fired_time);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_eh_inst ON QRTZ_execution_history (sched_name, instance_name);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_mh_misfire_time ON QRTZ_misfire_history (sched_name, misfire_time);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_mh_inst ON QRTZ_misfire_history (sched_name, instance_name);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_eh_job_time ON QRTZ_execution_history (sched_name, job_group, job_name, fired_time);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_eh_fire_inst ON QRTZ_execution_history (sched_name, fire_instance_id);
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_QRTZ_eh_trig_time ON QRTZ_execution_history (sched_name, trigger_group, trigger_name, fired_time);
        """,
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var statements = migrationBuilder.ActiveProvider switch
        {
            "Microsoft.EntityFrameworkCore.Sqlite" => Sqlite,
            "Npgsql.EntityFrameworkCore.PostgreSQL" => Postgres,
            var other => throw new NotSupportedException($"No Quartz job store schema for the database provider '{other}'; ProcessServer runs on SQLite or PostgreSQL."),
        };
        foreach (var statement in statements)
        {
            migrationBuilder.Sql(statement);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"DROP TABLE IF EXISTS {table}");
        }
    }
}
