using Whistle.Delivery.Sms;

namespace Whistle.Tests.Unit;

public class SmsSizeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void Plain_text_is_gsm7_160_to_a_segment_then_153(int length, int segments) =>
        Assert.Equal(new SmsSize("gsm7", length, segments), SmsSize.Of(new string('a', length)));

    [Fact]
    public void Extension_characters_take_two_septets()
    {
        Assert.Equal(new SmsSize("gsm7", 160, 1), SmsSize.Of(new string('€', 80)));
        Assert.Equal(new SmsSize("gsm7", 162, 2), SmsSize.Of(new string('€', 81)));
        Assert.Equal(5, SmsSize.Of("[a]").Units);
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void One_character_outside_the_alphabet_makes_the_whole_text_ucs2(int length, int segments) =>
        Assert.Equal(new SmsSize("ucs2", length, segments), SmsSize.Of("ó" + new string('a', length - 1)));

    [Theory]
    [InlineData("retén cerca de Powderhorn Park", "gsm7")]   // é is in the GSM alphabet
    [InlineData("ACTUALIZACIÓN", "ucs2")]                    // Ó is not
    [InlineData("vehículos", "ucs2")]
    [InlineData("Ogow xuquuqdaada: ha furin albaabka", "gsm7")]
    [InlineData("Paub koj txoj cai: tsis txhob qhib qhov rooj", "gsm7")]
    [InlineData("Alert 🚨", "ucs2")]
    public void Languages_land_where_their_letters_put_them(string text, string encoding) =>
        Assert.Equal(encoding, SmsSize.Of(text).Encoding);

    [Fact]
    public void An_emoji_counts_as_two_units() => Assert.Equal(2, SmsSize.Of("🚨").Units);
}
