namespace ProcessServer.Engine.Time;

/// <summary>A working-calendar document cannot be loaded; the message names the entry at fault.</summary>
public sealed class CalendarFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the entry (e.g. <c>daysOff[3]</c>) so an administrator can fix the file.</param>
    /// <param name="innerException">The parser or validation error behind it, if any.</param>
    public CalendarFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
