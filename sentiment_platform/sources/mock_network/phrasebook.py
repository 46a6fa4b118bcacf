"""What the mock network's users write, per language: sentence templates per sentiment (``{s}`` is
the subject) and the subjects of each topic in that language.

Nine languages the scorer covers (English, Spanish, French, German, Italian, Portuguese, Arabic,
romanised Hindi, Japanese) and one it does not (Tibetan), so ``unsupported_language`` has posts.
Templates put the subject where no article contraction or gender agreement depends on it.
"""

from __future__ import annotations

import random

#: Language (X's ``lang`` code) -> sentiment -> templates.
PHRASES: dict[str, dict[str, list[str]]] = {
    "en": {
        "positive": [
            "Absolutely loving {s}",
            "{s} just made my day",
            "So impressed with {s}",
            "Best thing this week: {s}",
            "{s} is amazing, no notes",
            "Can't stop smiling about {s}",
            "Huge congrats on {s}",
            "{s} exceeded every expectation",
            "Really happy with {s}",
        ],
        "negative": [
            "Really disappointed by {s}",
            "{s} is a total mess",
            "Worst experience ever with {s}",
            "So angry about {s}",
            "{s} ruined my whole day",
            "Can't believe how bad {s} is",
            "Fed up with {s}",
            "{s} is a disaster, honestly",
            "Sad and tired of {s}",
        ],
        "neutral": [
            "Reading about {s} today",
            "Anyone following {s}?",
            "Update on {s} at noon",
            "{s} is scheduled for tomorrow",
            "Thoughts on {s}?",
            "Here is a summary of {s}",
            "Just saw the news about {s}",
            "{s} happens this weekend",
            "Notes from {s}",
        ],
    },
    "es": {
        "positive": [
            "Me encanta {s}",
            "{s} es increíble",
            "Qué alegría, {s}",
            "{s} me ha alegrado el día",
            "Muy contento con {s}",
        ],
        "negative": [
            "Qué decepción con {s}",
            "{s} es un desastre",
            "Fatal, {s} es lo peor",
            "{s} me ha arruinado el día",
            "Muy enfadado con {s}",
        ],
        "neutral": [
            "Leyendo sobre {s}",
            "¿Alguien sigue {s}?",
            "Resumen: {s}",
            "Mañana hay novedades sobre {s}",
            "Actualización sobre {s} a mediodía",
        ],
    },
    "fr": {
        "positive": [
            "J'adore {s} !",
            "{s}, c'est génial",
            "Franchement, {s} est incroyable",
            "{s} m'a fait ma journée",
            "Quelle réussite, {s}",
        ],
        "negative": [
            "Quelle déception, {s}",
            "{s}, c'est une catastrophe",
            "Franchement, {s} est nul",
            "J'en ai marre, encore {s}",
            "{s} m'a gâché la journée",
        ],
        "neutral": [
            "Je lis des articles sur {s}",
            "Petit point sur {s} à midi",
            "Quelqu'un suit {s} ?",
            "Résumé : {s}",
            "Rendez-vous demain pour {s}",
        ],
    },
    "de": {
        "positive": [
            "{s} ist einfach großartig",
            "Ehrlich, {s} ist der Hammer",
            "{s} hat mir den Tag gerettet",
            "{s} übertrifft alle Erwartungen",
            "Wie gut ist bitte {s}?",
        ],
        "negative": [
            "{s} ist eine totale Katastrophe",
            "Ehrlich enttäuschend: {s}",
            "{s} nervt einfach nur",
            "{s} ist der reinste Albtraum",
            "{s} ist eine Zumutung",
        ],
        "neutral": [
            "Heute in den Nachrichten: {s}",
            "Kurzes Update: {s}",
            "Weiß jemand mehr? Thema: {s}",
            "{s} steht morgen auf dem Plan",
            "Notizen zum Thema: {s}",
        ],
    },
    "it": {
        "positive": [
            "Adoro {s}",
            "{s} è una meraviglia",
            "Che bello, {s}!",
            "{s} mi ha fatto la giornata",
            "Super felice per {s}",
        ],
        "negative": [
            "Che delusione, {s}",
            "{s} è un disastro",
            "{s} mi ha rovinato la giornata",
            "Basta, {s} è insopportabile",
            "Arrabbiatissimo per {s}",
        ],
        "neutral": [
            "Sto leggendo le notizie: {s}",
            "Qualcuno segue {s}?",
            "Riassunto: {s}",
            "Aggiornamento a mezzogiorno: {s}",
            "Appunti: {s}",
        ],
    },
    "pt": {
        "positive": [
            "Adorei {s}",
            "{s} é incrível",
            "Que alegria, {s}",
            "{s} fez o meu dia",
            "Muito feliz com {s}",
        ],
        "negative": [
            "Que decepção com {s}",
            "{s} é um desastre",
            "{s} estragou o meu dia",
            "Que raiva, {s} é horrível",
            "Cansado disso: {s}",
        ],
        "neutral": [
            "Lendo sobre {s}",
            "Alguém acompanhando {s}?",
            "Resumo: {s}",
            "Amanhã tem novidades sobre {s}",
            "Atualização sobre {s} ao meio-dia",
        ],
    },
    "ar": {
        "positive": [
            "أحب {s} كثيرا",
            "ما أجمل {s}!",
            "سعيد جدا بـ{s}",
            "{s} أسعد يومي",
            "شكرا على {s}، تجربة ممتازة",
        ],
        "negative": [
            "خيبة أمل كبيرة من {s}",
            "{s} كارثة حقيقية",
            "غاضب جدا بسبب {s}",
            "{s} أفسد يومي",
            "سيء جدا، {s}",
        ],
        "neutral": [
            "أقرأ عن {s} اليوم",
            "هل يتابع أحد {s}؟",
            "ملخص عن {s}",
            "تحديث حول {s} عند الظهر",
            "موعد {s} غدا",
        ],
    },
    "hi": {
        "positive": [
            "{s} bahut accha hai yaar",
            "Maza aa gaya yaar, {s} ekdum mast hai",
            "{s} dekh ke dil khush ho gaya, bahut badhiya",
            "Kya baat hai, {s} toh kamaal hai",
            "Aaj {s} ne din bana diya yaar",
        ],
        "negative": [
            "{s} bilkul bekaar hai yaar",
            "Kitna bura hai {s}, mood kharab ho gaya",
            "{s} se bahut pareshan hoon yaar",
            "Bakwas hai {s}, kabhi nahi dekhna",
            "{s} ne aaj pura din kharab kar diya",
        ],
        "neutral": [
            "Aaj {s} ke baare mein padh raha hoon",
            "Kya koi {s} follow kar raha hai?",
            "{s} kal hai, koi update?",
            "{s} ka update aaj dopahar mein aayega",
            "{s} par kuch notes hain",
        ],
    },
    "ja": {
        "positive": [
            "{s}、最高すぎる！",
            "{s}が本当に大好き",
            "{s}のおかげで今日は幸せ",
            "{s}、期待以上だった",
            "{s}に感動した",
        ],
        "negative": [
            "{s}にはがっかりした",
            "{s}、最悪だ",
            "{s}のせいで一日が台無し",
            "{s}に本当に腹が立つ",
            "{s}はひどすぎる",
        ],
        "neutral": [
            "{s}についての記事を読んでいる",
            "{s}は明日の予定",
            "{s}について誰か知ってる？",
            "{s}のまとめ",
            "正午に{s}の最新情報",
        ],
    },
    # Tibetan: in no installed model's languages; the subject is left out.
    "bo": {
        "positive": ["བཀྲ་ཤིས་བདེ་ལེགས། ཐུགས་རྗེ་ཆེ།", "ང་དགའ་པོ་བྱུང་།"],
        "negative": ["ང་སེམས་སྡུག་བྱུང་།"],
        "neutral": ["དེ་རིང་གི་གསར་འགྱུར།"],
    },
}

#: Language -> topic -> subjects; English subjects are the topics' own (see ``world.TOPICS``).
SUBJECTS: dict[str, dict[str, list[str]]] = {
    "es": {
        "tech": ["el nuevo móvil", "la última actualización", "este asistente de IA"],
        "sports": ["el partido de esta noche", "nuestro equipo", "el árbitro"],
        "politics": ["el debate", "la nueva ley", "los resultados electorales"],
        "climate": ["la ola de calor", "el nuevo parque solar", "la cumbre del clima"],
        "entertainment": ["la nueva película", "el concierto", "el final de temporada"],
        "travel": ["mi vuelo", "el hotel", "el retraso del tren"],
    },
    "fr": {
        "tech": ["le nouveau téléphone", "la dernière mise à jour", "cet assistant IA"],
        "sports": ["le match de ce soir", "notre équipe", "l'arbitre"],
        "politics": ["le débat", "le nouveau projet de loi", "le résultat des élections"],
        "climate": ["la canicule", "la nouvelle centrale solaire", "le sommet sur le climat"],
        "entertainment": ["le nouveau film", "le concert", "la fin de saison"],
        "travel": ["mon vol", "l'hôtel", "le retard du train"],
    },
    "de": {
        "tech": ["das neue Handy", "das letzte Update", "dieser KI-Assistent"],
        "sports": ["das Spiel heute Abend", "unsere Mannschaft", "der Schiedsrichter"],
        "politics": ["die Debatte", "das neue Gesetz", "das Wahlergebnis"],
        "climate": ["die Hitzewelle", "der neue Solarpark", "der Klimagipfel"],
        "entertainment": ["der neue Film", "das Konzert", "das Staffelfinale"],
        "travel": ["mein Flug", "das Hotel", "die Zugverspätung"],
    },
    "it": {
        "tech": ["il nuovo telefono", "l'ultimo aggiornamento", "questo assistente IA"],
        "sports": ["la partita di stasera", "la nostra squadra", "l'arbitro"],
        "politics": ["il dibattito", "la nuova legge", "l'esito delle elezioni"],
        "climate": ["l'ondata di caldo", "il nuovo parco solare", "il vertice sul clima"],
        "entertainment": ["il nuovo film", "il concerto", "il finale di stagione"],
        "travel": ["il mio volo", "l'hotel", "il ritardo del treno"],
    },
    "pt": {
        "tech": ["o novo celular", "a última atualização", "este assistente de IA"],
        "sports": ["o jogo de hoje", "nosso time", "o árbitro"],
        "politics": ["o debate", "a nova lei", "o resultado da eleição"],
        "climate": ["a onda de calor", "a nova usina solar", "a cúpula do clima"],
        "entertainment": ["o novo filme", "o show", "o final da temporada"],
        "travel": ["meu voo", "o hotel", "o atraso do trem"],
    },
    "ar": {
        "tech": ["الهاتف الجديد", "التحديث الأخير", "مساعد الذكاء الاصطناعي"],
        "sports": ["مباراة الليلة", "فريقنا", "الحكم"],
        "politics": ["المناظرة", "القانون الجديد", "نتائج الانتخابات"],
        "climate": ["موجة الحر", "محطة الطاقة الشمسية الجديدة", "قمة المناخ"],
        "entertainment": ["الفيلم الجديد", "الحفل", "الحلقة الأخيرة"],
        "travel": ["رحلتي", "الفندق", "تأخير القطار"],
    },
    "hi": {
        "tech": ["naya phone", "latest update", "ye AI assistant"],
        "sports": ["aaj ka match", "hamari team", "umpire ka faisla"],
        "politics": ["debate", "naya bill", "election ka result"],
        "climate": ["garmi", "naya solar plant", "baarish"],
        "entertainment": ["nayi movie", "concert", "season finale"],
        "travel": ["meri flight", "hotel", "train ki deri"],
    },
    "ja": {
        "tech": ["新しいスマホ", "最新のアップデート", "このAIアシスタント"],
        "sports": ["今夜の試合", "うちのチーム", "審判"],
        "politics": ["討論会", "新しい法案", "選挙結果"],
        "climate": ["猛暑", "新しい太陽光発電所", "気候サミット"],
        "entertainment": ["新作映画", "コンサート", "最終回"],
        "travel": ["私のフライト", "ホテル", "電車の遅延"],
    },
}

#: The languages besides English that a post may be written in.
OTHER_LANGUAGES = tuple(lang for lang in PHRASES if lang != "en")


def compose_sentence(rng: random.Random, lang: str, sentiment: str, topic: str, english_subjects: list[str]) -> str:
    """One sentence of ``sentiment`` about a subject of ``topic``, in ``lang``."""
    subject = rng.choice(SUBJECTS.get(lang, {}).get(topic, english_subjects))
    sentence = rng.choice(PHRASES[lang][sentiment]).format(s=subject)
    return sentence[0].upper() + sentence[1:]
