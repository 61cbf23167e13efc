"""StreamField blocks for public content.

They live here, not in cms, because Event (an events model) uses them and dependencies point
cms -> events -> trainees; cms pages reuse the same library.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("heading"), max_length=120)

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "blocks/heading_block.html"
        preview_value = {"text": "参会须知"}
        description = _("A section heading")


class NoticeBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), max_length=120)
    text = blocks.TextBlock(label=_("text"))

    class Meta:
        icon = "warning"
        label = _("Notice")
        template = "blocks/notice_block.html"
        preview_value = {
            "title": "请携带身份证",
            "text": "入场时请出示报名二维码和本人身份证，现场也可登记入场。",
        }
        description = _("A highlighted notice with a title, shown with an icon, not only colour")


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "blocks/image_block.html"
        description = _("An image with an optional caption")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(label=_("link text"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("Document download")
        template = "blocks/document_block.html"
        description = _("A downloadable file such as a policy PDF or an application form")


class FactsBlock(blocks.StructBlock):
    items = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("label", blocks.CharBlock(label=_("label"), max_length=60)),
                ("value", blocks.CharBlock(label=_("value"), max_length=200)),
            ]
        ),
        label=_("items"),
    )

    class Meta:
        icon = "list-ul"
        label = _("Key facts")
        template = "blocks/facts_block.html"
        preview_value = {
            "items": [
                {"label": "乘车路线", "value": "地铁1号线南湖站B出口"},
                {"label": "咨询电话", "value": "0771-1234567"},
            ]
        }
        description = _("Short label and value pairs, such as transport or contact details")


class ContentStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        icon="pilcrow",
        features=["bold", "italic", "link", "ol", "ul"],
        preview_value="<p>本场招聘会共有一百余家企业参会，提供普工、电焊工、叉车司机等岗位。</p>",
        description=_("Rich text"),
    )
    notice = NoticeBlock()
    facts = FactsBlock()
    image = ImageBlock()
    document = DocumentBlock()
