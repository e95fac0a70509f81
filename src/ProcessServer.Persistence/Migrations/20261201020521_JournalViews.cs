using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProcessServer.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class JournalViews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "ViewJson",
                table: "Journal",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ViewJson",
                table: "Journal");
        }
    }
}
