using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProcessServer.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DefinitionRevisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "WorkflowDefinitionVersions",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "SavedAt",
                table: "WorkflowDefinitionVersions",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SavedBy",
                table: "WorkflowDefinitionVersions",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Revision",
                table: "WorkflowDefinitionVersions");

            migrationBuilder.DropColumn(
                name: "SavedAt",
                table: "WorkflowDefinitionVersions");

            migrationBuilder.DropColumn(
                name: "SavedBy",
                table: "WorkflowDefinitionVersions");
        }
    }
}
